//! Test fixture: a transform that misbehaves when a record's value asks it
//! to (`trap`, `loop`, `alloc`, `sleep`, `print`), probes its sandbox (`env`
//! reads $CHAOS_SECRET, `read` reads /data/secret.txt, each into the value),
//! and keeps every other record. With `refuse=true` it rejects its configuration.

use sluice_sdk::{Config, ConfigKey, ConfigType, Emitter, Plugin, PluginInfo, Record, Transform};

pub struct Chaos;

impl Plugin for Chaos {
    const INFO: PluginInfo = PluginInfo {
        name: "chaos",
        version: "0.0.1",
        description: "Misbehaves on demand (test fixture)",
        config: &[ConfigKey::optional(
            "refuse",
            ConfigType::Boolean,
            Some("false"),
            "Reject this configuration",
        )],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        if config.get_bool("refuse") {
            return Err("chaos: configuration refused as asked (refuse=true)".into());
        }
        Ok(Chaos)
    }
}

impl Transform for Chaos {
    fn transform(&mut self, record: &Record<'_>, out: &mut Emitter<'_>) -> Result<(), String> {
        match record.value {
            Some(b"trap") => panic!("chaos: trap requested at offset {}", record.offset),
            Some(b"loop") => {
                let mut n: u64 = 0;
                loop {
                    n = std::hint::black_box(n.wrapping_add(1));
                }
            }
            Some(b"alloc") => {
                let mut hoard: Vec<Vec<u8>> = Vec::new();
                loop {
                    hoard.push(vec![1u8; 1 << 20]);
                    std::hint::black_box(&hoard);
                }
            }
            Some(b"sleep") => std::thread::sleep(std::time::Duration::from_secs(30)),
            Some(b"print") => {
                println!("chaos says hello on stdout");
                sluice_sdk::log::warn("chaos says hello through the log import");
            }
            Some(b"env") => {
                let secret =
                    std::env::var("CHAOS_SECRET").map_err(|e| format!("CHAOS_SECRET: {e}"))?;
                let mut changed = record.to_out();
                changed.value = Some(secret.into_bytes().into());
                out.emit(&changed);
                return Ok(());
            }
            Some(b"read") => {
                let secret = std::fs::read("/data/secret.txt")
                    .map_err(|e| format!("/data/secret.txt: {e}"))?;
                let mut changed = record.to_out();
                changed.value = Some(secret.into());
                out.emit(&changed);
                return Ok(());
            }
            _ => {}
        }
        out.keep(record);
        Ok(())
    }
}

sluice_sdk::export_transform!(Chaos);
