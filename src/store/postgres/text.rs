//! PostgreSQL `text` cannot hold a NUL character, which SQLite stores without fuss. Strings
//! that can come from outside (an event type or id from a JSON body, a receiver's answer) get
//! U+FFFD in its place, so one hostile payload can neither fail a whole batch of ingests nor
//! keep an attempt from being recorded.

use crate::store::NewEvent;
use std::borrow::Cow;

/// `s` with every NUL replaced by U+FFFD (borrowed when there is none).
pub fn storable(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(s)
    }
}

/// An owned string made storable in place.
fn fix(s: &mut String) {
    if let Cow::Owned(fixed) = storable(s) {
        *s = fixed;
    }
}

/// Makes every string of an event storable, so what is answered is what was stored.
pub fn fix_event(new: &mut NewEvent) {
    let e = &mut new.event;
    for s in [
        &mut e.id,
        &mut e.listener_id,
        &mut e.provider,
        &mut e.account_id,
    ] {
        fix(s);
    }
    for s in [
        &mut e.event_type,
        &mut e.provider_event_id,
        &mut e.source_ip,
        &mut e.content_type,
    ]
    .into_iter()
    .flatten()
    {
        fix(s);
    }
    new.receiver_urls.iter_mut().for_each(fix);
}
