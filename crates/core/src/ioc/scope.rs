//! Scoping of network indicators.
//!
//! | Scope | IPv4 | IPv6 | Names |
//! |---|---|---|---|
//! | internal | 10/8, 172.16/12, 192.168/16, 127/8, 169.254/16, 100.64/10 | `::1`, fc00::/7, fe80::/10, fec0::/10, 64:ff9b:1::/48 (local-use NAT64, RFC 8215) | configured suffixes, `.local` `.internal` `.corp` `.lan` `.intranet` `.home` `home.arpa`, single labels |
//! | reserved | 0/8, 192.0.0/24, 192.0.2/24, 198.18/15, 198.51.100/24, 203.0.113/24, 224/4, 240/4 (incl. 255.255.255.255) | `::`, 2001:db8::/32, 3fff::/20, 100::/64, ff00::/8 | `.example` `.test` `.invalid` `.localhost`, `example.com/net/org`, `in-addr.arpa`, `ip6.arpa` |
//! | external | everything else | everything else | everything else |
//!
//! An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), a well-known-prefix NAT64 address
//! (`64:ff9b::a.b.c.d`, RFC 6052) and a 6to4 address (`2002:AABB:CCDD::/48`, RFC 3056) have
//! the scope of the IPv4 address they carry.
//! Configured internal suffixes win over the reserved names, so an organisation may call
//! `corp.example` internal.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::tld::{PRIVATE_USE_TLDS, RESERVED_TLDS};
use super::{IocConfig, Scope};

/// The scope of an IP address (see the module table).
pub fn scope_ip(ip: &IpAddr) -> Scope {
    match ip {
        IpAddr::V4(v4) => scope_v4(*v4),
        IpAddr::V6(v6) => scope_v6(v6),
    }
}

fn scope_v4(ip: Ipv4Addr) -> Scope {
    let [a, b, c, _] = ip.octets();
    let internal = a == 10
        || (a == 172 && (16..=31).contains(&b))
        || (a == 192 && b == 168)
        || a == 127
        || (a == 169 && b == 254)
        || (a == 100 && (64..=127).contains(&b));
    if internal {
        return Scope::Internal;
    }
    let reserved = a == 0
        || a >= 224 // multicast 224/4, future use 240/4, broadcast
        || (a == 192 && b == 0 && (c == 0 || c == 2))
        || (a == 198 && (b == 18 || b == 19))
        || (a == 198 && b == 51 && c == 100)
        || (a == 203 && b == 0 && c == 113);
    if reserved {
        Scope::Reserved
    } else {
        Scope::External
    }
}

fn scope_v6(ip: &Ipv6Addr) -> Scope {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return scope_v4(v4);
    }
    let seg = ip.segments();
    let o = ip.octets();
    // NAT64 well-known prefix 64:ff9b::/96: the last 32 bits are the IPv4 address.
    if seg[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
        return scope_v4(Ipv4Addr::new(o[12], o[13], o[14], o[15]));
    }
    // 6to4 2002::/16: bits 16-47 are the IPv4 address of the site.
    if seg[0] == 0x2002 {
        return scope_v4(Ipv4Addr::new(o[2], o[3], o[4], o[5]));
    }
    if ip.is_loopback()
        || (seg[0] & 0xfe00) == 0xfc00
        || (seg[0] & 0xffc0) == 0xfe80
        || (seg[0] & 0xffc0) == 0xfec0
        || seg[..3] == [0x64, 0xff9b, 0x0001]
    {
        return Scope::Internal;
    }
    let reserved = ip.is_unspecified()
        || (seg[0] == 0x2001 && seg[1] == 0x0db8)
        || (seg[0] & 0xfff0) == 0x3ff0
        || (seg[0] == 0x0100 && seg[1] == 0 && seg[2] == 0 && seg[3] == 0)
        || (seg[0] & 0xff00) == 0xff00;
    if reserved {
        Scope::Reserved
    } else {
        Scope::External
    }
}

/// The scope of a domain or host name (see the module table). Case and a trailing dot are
/// ignored.
pub fn scope_domain(name: &str, cfg: &IocConfig) -> Scope {
    let name = name.trim();
    let name = name.strip_suffix('.').unwrap_or(name);
    if cfg
        .internal_domain_suffixes
        .iter()
        .any(|s| has_suffix(name, s.trim().trim_start_matches('.').trim_end_matches('.')))
    {
        return Scope::Internal;
    }
    let tld = name.rsplit('.').next().unwrap_or(name);
    let reserved = RESERVED_TLDS.iter().any(|t| tld.eq_ignore_ascii_case(t))
        || [
            "example.com",
            "example.net",
            "example.org",
            "in-addr.arpa",
            "ip6.arpa",
        ]
        .iter()
        .any(|s| has_suffix(name, s));
    if reserved {
        return Scope::Reserved;
    }
    if !name.contains('.')
        || PRIVATE_USE_TLDS.iter().any(|t| tld.eq_ignore_ascii_case(t))
        || has_suffix(name, "home.arpa")
    {
        return Scope::Internal;
    }
    Scope::External
}

/// `name` is `suffix` or ends with `.suffix`, ignoring ASCII case.
fn has_suffix(name: &str, suffix: &str) -> bool {
    if suffix.is_empty() || name.len() < suffix.len() {
        return false;
    }
    let cut = name.len() - suffix.len();
    let Some(tail) = name.get(cut..) else {
        return false;
    };
    tail.eq_ignore_ascii_case(suffix) && (cut == 0 || name.as_bytes()[cut - 1] == b'.')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> Scope {
        scope_ip(&s.parse().unwrap())
    }

    #[test]
    fn ip_table() {
        use Scope::*;
        let table = [
            ("10.0.1.14", Internal),
            ("172.16.0.1", Internal),
            ("172.31.255.255", Internal),
            ("172.32.0.1", External),
            ("192.168.1.1", Internal),
            ("127.0.0.1", Internal),
            ("169.254.10.1", Internal),
            ("100.64.0.1", Internal),
            ("100.127.255.255", Internal),
            ("100.128.0.1", External),
            ("192.0.2.10", Reserved),
            ("198.51.100.7", Reserved),
            ("203.0.113.99", Reserved),
            ("0.0.0.0", Reserved),
            ("0.1.2.3", Reserved),
            ("255.255.255.255", Reserved),
            ("224.0.0.251", Reserved),
            ("239.255.255.250", Reserved),
            ("198.18.0.1", Reserved),
            ("198.19.255.1", Reserved),
            ("198.20.0.1", External),
            ("240.0.0.1", Reserved),
            ("192.0.0.8", Reserved),
            ("192.0.1.1", External),
            ("185.220.101.47", External),
            ("8.8.8.8", External),
            ("::1", Internal),
            ("fc00::1", Internal),
            ("fd12:3456::1", Internal),
            ("fe80::1", Internal),
            ("2001:db8::1", Reserved),
            ("2001:db9::1", External),
            ("::", Reserved),
            ("ff02::1", Reserved),
            ("::ffff:10.1.2.3", Internal),
            ("::ffff:8.8.8.8", External),
            ("2606:4700::1111", External),
            // NAT64: local-use prefix (RFC 8215), well-known prefix carrying an IPv4.
            ("64:ff9b:1::a00:1", Internal),
            ("64:ff9b:1:ffff::1", Internal),
            ("64:ff9b::10.1.2.3", Internal),
            ("64:ff9b::8.8.8.8", External),
            ("64:ff9b::192.0.2.1", Reserved),
            ("64:ff9b:2::8.8.8.8", External),
            // 6to4 carries the site's IPv4 address in bits 16-47.
            ("2002:c0a8:101::1", Internal),
            ("2002:808:808::1", External),
            ("2002:cb00:7101::1", Reserved),
        ];
        for (addr, want) in table {
            assert_eq!(ip(addr), want, "{addr}");
        }
    }

    #[test]
    fn domain_table() {
        use Scope::*;
        let cfg = IocConfig::default();
        let table = [
            ("finance-ws-14.corp.internal", Internal),
            ("ar-win-dc.attackrange.local", Internal),
            ("printer.lan", Internal),
            ("nas.home.arpa", Internal),
            ("portal.intranet", Internal),
            ("WS01", Internal),
            ("ws-fin-0142.CORP.LOCAL.", Internal),
            ("invoice-portal.example", Reserved),
            ("example.com", Reserved),
            ("www.example.org", Reserved),
            ("mail.example.net", Reserved),
            ("x.test", Reserved),
            ("x.invalid", Reserved),
            ("app.localhost", Reserved),
            ("localhost", Reserved),
            ("4.3.2.1.in-addr.arpa", Reserved),
            ("notexample.com", External),
            ("xf-telemetry-sync.net", External),
            ("security-portal.app", External),
            ("localcorp.com", External),
        ];
        for (name, want) in table {
            assert_eq!(scope_domain(name, &cfg), want, "{name}");
        }
        let mut cfg = cfg;
        cfg.internal_domain_suffixes.push("acme-corp.com".into());
        assert_eq!(scope_domain("vpn.acme-corp.com", &cfg), Internal);
        assert_eq!(scope_domain("acme-corp.com", &cfg), Internal);
        assert_eq!(scope_domain("notacme-corp.com", &cfg), External);
    }
}
