//! OAuth2 token flows of the identity platform (reference §1): client credentials,
//! authorization code with PKCE, refresh token with rotation, and the access-token cache.

mod aad_error;
mod actions;
pub mod jwt;
pub mod pkce;
mod provider;

pub use aad_error::{TokenFlow, token_error};
pub use actions::{AuthorizationRequest, RefreshTokenGrant, get_authorization, get_refresh_token};
pub use provider::{EXPIRY_MARGIN_SECS, TokenProvider, cache_key};
