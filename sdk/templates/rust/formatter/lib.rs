//! {{name}}: a Sluice formatter. It writes CSV: a header line, then one
//! `topic,partition,offset,value` line per record.

use sluice_sdk::{Config, ConfigKey, ConfigType, FormatInfo, Formatter, Plugin, PluginInfo, Record};

pub struct Csv {
    delimiter: char,
}

impl Plugin for Csv {
    const INFO: PluginInfo = PluginInfo {
        name: "{{name}}",
        version: "0.1.0",
        description: "Records as CSV lines (topic, partition, offset, value)",
        config: &[ConfigKey::optional("delimiter", ConfigType::String, Some(","), "The field delimiter")],
    };

    fn configure(config: &Config) -> Result<Self, String> {
        let d = config.require("delimiter")?;
        let mut chars = d.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Ok(Csv { delimiter: c }),
            _ => Err("delimiter: one character, please".into()),
        }
    }
}

impl Csv {
    fn line(&self, fields: &[&str], out: &mut Vec<u8>) {
        for (i, f) in fields.iter().enumerate() {
            if i > 0 {
                out.extend(self.delimiter.to_string().as_bytes());
            }
            if f.contains(['"', '\n', '\r', self.delimiter]) {
                out.extend(format!("\"{}\"", f.replace('"', "\"\"")).as_bytes());
            } else {
                out.extend(f.as_bytes());
            }
        }
        out.push(b'\n');
    }
}

impl Formatter for Csv {
    fn info(&self) -> FormatInfo {
        FormatInfo {
            content_type: "text/csv".into(),
            extension: ".csv".into(),
            prefix: Vec::new(),
            // Each encoded line ends with its own newline.
            separator: Vec::new(),
            suffix: Vec::new(),
        }
    }

    fn header(&mut self) -> Vec<u8> {
        let mut out = Vec::new();
        self.line(&["topic", "partition", "offset", "value"], &mut out);
        out
    }

    fn encode(&mut self, record: &Record<'_>, out: &mut Vec<u8>) -> Result<(), String> {
        let value = match record.value {
            Some(_) => record.value_str()?,
            None => "",
        };
        let (p, o) = (record.partition.to_string(), record.offset.to_string());
        self.line(&[record.topic, &p, &o, value], out);
        Ok(())
    }
}

sluice_sdk::export_formatter!(Csv);
