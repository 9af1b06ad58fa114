//! One jq program, compiled with jaq: the standard library minus what would reach outside the
//! event (`env` reads the gateway's environment, where its secrets live; `debug` and `stderr`
//! would write event data to the logs).

use super::facts::{EventFacts, VARIABLES};
use jaq_core::load::{self, Arena, File, Loader};
use jaq_core::{data::JustLut, unwrap_valr, Compiler, Ctx, Vars};
use jaq_json::Val;
use std::fmt;
use std::sync::Arc;

type Data = JustLut<Val>;

/// The standard library's filter that reads the environment: programs cannot call it.
const WITHHELD: &str = "env";

/// Filters that would write to the logs: the library's definitions use them, so they stay,
/// doing nothing.
const SILENCED: [&str; 2] = ["debug_empty", "stderr_empty"];

/// A compiled program and its source text (equal programs have equal sources).
#[derive(Clone)]
pub struct JqProgram {
    source: Arc<str>,
    filter: Arc<jaq_core::Filter<Data>>,
}

/// Why a program does not compile: the byte offset in its source and what is wrong there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProgramError {
    pub offset: usize,
    pub message: String,
}

impl fmt::Debug for JqProgram {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "JqProgram({:?})", self.source)
    }
}

impl PartialEq for JqProgram {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl JqProgram {
    /// Parses and compiles `source`; `$event_type`, `$provider`, `$account_id` and `$headers`
    /// are known variables.
    pub fn compile(source: &str) -> Result<JqProgram, ProgramError> {
        let defs = jaq_core::defs()
            .chain(jaq_std::defs())
            .chain(jaq_json::defs());
        let funs = jaq_core::funs()
            .chain(jaq_std::funs::<Data>().filter_map(|(name, args, run)| {
                let nothing: jaq_core::RunPtr<Data> = |_| Box::new(std::iter::empty());
                match name {
                    WITHHELD => None,
                    _ if SILENCED.contains(&name) => {
                        Some((name, args, jaq_core::Native::<Data>::new(nothing)))
                    }
                    _ => Some((name, args, run)),
                }
            }))
            .chain(jaq_json::funs());
        let arena = Arena::default();
        let file = File {
            code: source,
            path: (),
        };
        let modules = Loader::new(defs)
            .load(&arena, file)
            .map_err(|errs| load_error(source, errs))?;
        let filter = Compiler::default()
            .with_funs(funs)
            .with_global_vars(VARIABLES)
            .compile(modules)
            .map_err(|errs| compile_error(source, errs))?;
        Ok(JqProgram {
            source: source.into(),
            filter: Arc::new(filter),
        })
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Runs the program on `input`, keeping at most `max` outputs; the first error ends it.
    pub fn run(&self, input: Val, facts: &EventFacts, max: usize) -> Result<Vec<Val>, String> {
        let ctx = Ctx::<Data>::new(&self.filter.lut, Vars::new(facts.values()));
        let mut out = Vec::new();
        for value in self.filter.id.run((ctx, input)).map(unwrap_valr).take(max) {
            out.push(value.map_err(|e| e.to_string())?);
        }
        Ok(out)
    }
}

/// The offset of `part` in `whole`, when `part` is a slice of it (errors in the standard
/// library's own definitions are not).
fn offset_in(whole: &str, part: &str) -> usize {
    let (start, end) = (
        whole.as_ptr() as usize,
        whole.as_ptr() as usize + whole.len(),
    );
    let at = part.as_ptr() as usize;
    if (start..=end).contains(&at) {
        at - start
    } else {
        0
    }
}

fn load_error(source: &str, errs: load::Errors<&str, ()>) -> ProgramError {
    let first = errs.into_iter().next().map(|(_, e)| e);
    let (offset, message) = match first {
        Some(load::Error::Lex(list)) => list
            .first()
            .map(|(expect, found)| {
                (
                    offset_in(source, found),
                    format!("expected {}", expect.as_str()),
                )
            })
            .unwrap_or((0, "cannot read the program".into())),
        Some(load::Error::Parse(list)) => list
            .first()
            .map(|(expect, found)| {
                let what = if found.is_empty() {
                    "the end of the program".to_string()
                } else {
                    format!("`{}`", found.chars().take(20).collect::<String>())
                };
                (
                    offset_in(source, found),
                    format!("expected {}, found {what}", expect.as_str()),
                )
            })
            .unwrap_or((0, "cannot parse the program".into())),
        Some(load::Error::Io(list)) => (
            0,
            list.first()
                .map_or("cannot load a module".into(), |(_, e)| e.clone()),
        ),
        None => (0, "cannot load the program".into()),
    };
    ProgramError { offset, message }
}

fn compile_error(source: &str, errs: jaq_core::compile::Errors<&str, ()>) -> ProgramError {
    let first = errs.into_iter().flat_map(|(_, list)| list).next();
    match first {
        Some((name, undefined)) => ProgramError {
            offset: offset_in(source, name),
            message: format!("undefined {} `{name}`", undefined.as_str()),
        },
        None => ProgramError {
            offset: 0,
            message: "cannot compile the program".into(),
        },
    }
}

#[cfg(test)]
mod tests;
