//! Knobs fixed at start-up.

/// How a simulator instance behaves.
#[derive(Clone, Debug)]
pub struct SimConfig {
    /// Lifetime of issued access tokens (`expires_in`), seconds.
    pub access_token_lifetime_secs: u64,
    /// Real AAD keeps a used refresh token valid. With `true`, using a
    /// refresh token revokes it, so tests prove the client stores the
    /// rotated one.
    pub strict_refresh_rotation: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            access_token_lifetime_secs: 3600,
            strict_refresh_rotation: false,
        }
    }
}
