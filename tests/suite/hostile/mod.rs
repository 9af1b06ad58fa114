//! SPEC section 9: limits and hostile input — the outbound guard on OAuth token URLs, oversized
//! answers and heads, forged X-Forwarded-For chains, internal failures, gauges, idle clients.

mod forwarded_for;
mod internal_failure;
mod log_urls;
mod oauth;
mod pending_gauge;
mod server_limits;
mod whsec;
