//! SPEC section 4: what receivers get and how — bytes, headers, retries, outbound auth, the
//! private-address guard, per-receiver limits and de-duplication.

mod forwarding;
mod limits;
mod oauth;
mod ordering;
mod receivers;
mod ssrf;
