//! Punycode encoding (RFC 3492) of one domain label, for turning unicode names into their
//! `xn--` form. Only encoding is needed; no IDNA mapping beyond lower-casing is done by the
//! caller.

const BASE: u32 = 36;
const T_MIN: u32 = 1;
const T_MAX: u32 = 26;
const SKEW: u32 = 38;
const DAMP: u32 = 700;
const INITIAL_BIAS: u32 = 72;
const INITIAL_N: u32 = 128;

/// Encodes `label` (already lower case) without the `xn--` prefix; `None` on arithmetic
/// overflow (absurdly long labels).
pub(crate) fn encode(label: &str) -> Option<String> {
    let input: Vec<u32> = label.chars().map(u32::from).collect();
    let mut out: String = label.chars().filter(char::is_ascii).collect();
    let basic = u32::try_from(out.len()).ok()?;
    let total = u32::try_from(input.len()).ok()?;
    if basic > 0 {
        out.push('-');
    }
    let mut n = INITIAL_N;
    let mut delta: u32 = 0;
    let mut bias = INITIAL_BIAS;
    let mut handled = basic;
    while handled < total {
        let m = input.iter().copied().filter(|&c| c >= n).min()?;
        delta = delta.checked_add((m - n).checked_mul(handled + 1)?)?;
        n = m;
        for &c in &input {
            if c < n {
                delta = delta.checked_add(1)?;
            }
            if c == n {
                let mut q = delta;
                let mut k = BASE;
                loop {
                    let t = if k <= bias {
                        T_MIN
                    } else if k >= bias + T_MAX {
                        T_MAX
                    } else {
                        k - bias
                    };
                    if q < t {
                        break;
                    }
                    out.push(digit(t + (q - t) % (BASE - t)));
                    q = (q - t) / (BASE - t);
                    k += BASE;
                }
                out.push(digit(q));
                bias = adapt(delta, handled + 1, handled == basic);
                delta = 0;
                handled += 1;
            }
        }
        delta = delta.checked_add(1)?;
        n = n.checked_add(1)?;
    }
    Some(out)
}

fn adapt(delta: u32, points: u32, first: bool) -> u32 {
    let mut delta = if first { delta / DAMP } else { delta / 2 };
    delta += delta / points;
    let mut k = 0;
    while delta > ((BASE - T_MIN) * T_MAX) / 2 {
        delta /= BASE - T_MIN;
        k += BASE;
    }
    k + (BASE - T_MIN + 1) * delta / (delta + SKEW)
}

fn digit(d: u32) -> char {
    // d < 36 by construction.
    let d = u8::try_from(d).unwrap_or(0);
    if d < 26 {
        char::from(b'a' + d)
    } else {
        char::from(b'0' + (d - 26))
    }
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn known_labels() {
        assert_eq!(encode("bücher").unwrap(), "bcher-kva");
        assert_eq!(encode("münchen").unwrap(), "mnchen-3ya");
        assert_eq!(encode("中国").unwrap(), "fiqs8s");
        assert_eq!(encode("рф").unwrap(), "p1ai");
        assert_eq!(encode("испытание").unwrap(), "80akhbyknj4f");
        // Cyrillic look-alike of "apple".
        assert_eq!(encode("аррӏе").unwrap(), "80ak6aa92e");
    }
}
