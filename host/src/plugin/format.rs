//! A formatter plugin's declared framing, as the host's [`FormatInfo`].

pub use crate::format::FormatInfo;

use super::bindings::formatter::exports::sluice::plugin::formatting as v1;
use super::bindings::v0_2::formatter::exports::sluice::plugin::formatting as v2;

/// The same conversion for both contract versions' `format-info`.
macro_rules! from_format_info {
    ($wire:ty) => {
        impl From<$wire> for FormatInfo {
            fn from(info: $wire) -> Self {
                FormatInfo {
                    content_type: info.content_type,
                    extension: info.extension,
                    prefix: info.prefix.into(),
                    separator: info.separator.into(),
                    suffix: info.suffix.into(),
                }
            }
        }
    };
}

from_format_info!(v1::FormatInfo);
from_format_info!(v2::FormatInfo);
