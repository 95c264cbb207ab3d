//! An error with the causes under it, on one line: many libraries' own
//! display (reqwest's "error sending request", the AWS SDK's "dispatch
//! failure") leaves out the cause a user can act on, such as a certificate
//! that does not name the host.

/// `e` and each of its sources, joined by ": ".
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut said = e.to_string();
    let mut source = e.source();
    while let Some(c) = source {
        said.push_str(": ");
        said.push_str(&c.to_string());
        source = c.source();
    }
    said
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_cause_follows_its_error() {
        let inner = std::io::Error::other("the certificate names 127.0.0.1");
        let outer = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, inner);
        assert!(super::chain(&outer).ends_with("the certificate names 127.0.0.1"));
    }
}
