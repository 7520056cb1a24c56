//! Reading mail: listing messages in a window, folders by name, message
//! references, attachments, the enrichments of Fetch Event, its events and
//! its cursor. The commands in `commands/` are built from these.

pub mod attachments;
pub mod cursor;
pub mod delta;
pub mod eml;
pub mod enrich;
pub mod events;
pub mod folders;
pub mod headers;
pub mod jsonpath;
pub mod listing;
pub mod message_ref;
pub mod pairs;
