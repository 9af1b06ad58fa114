//! SPEC section 3: the listener endpoint — its checks in order, provider signatures,
//! slow and hostile clients, TLS and HTTP/2.

mod checks;
mod connections;
mod signatures;
mod tls_http2;
