//! OAuth2 token flows of the identity platform (reference §1): client credentials,
//! authorization code with PKCE, refresh token with rotation, and the access-token cache.

mod actions;
mod aad_error;
pub mod jwt;
pub mod pkce;
mod provider;

pub use actions::{AuthorizationRequest, RefreshTokenGrant, get_authorization, get_refresh_token};
pub use aad_error::token_error;
pub use provider::{EXPIRY_MARGIN_SECS, TokenProvider, cache_key};
