//! The literal prefilter: which of many thousand literals occur in an event's text, in
//! one pass.
//!
//! Each literal is filed under one of its 4-byte windows (its *anchor*; 3 bytes for
//! 3-byte literals), the one least likely to occur in event text (see [`gram_cost`]). The
//! scan rolls a window over the text; an exact 8 KiB bitmap of the anchors' last two bytes
//! and then a bitmap of anchor hashes reject almost every position; on a hit, the
//! anchor's literals are verified in place (one 8-byte compare, then the rest), so a
//! reported literal really occurs. Over the SigmaHQ corpus (~24,000 literals) and the
//! regression-sample events (~730 bytes of values each) that is about 100 probes of the
//! anchor table and 150 verifications per event, 3-4 µs. A general Aho-Corasick automaton
//! over the same literals was measured here at 9-11 µs per event (426 MB as a DFA, 6 MB
//! as a contiguous NFA, both missing the caches).

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::LazyLock;

const BLOOM_BITS: u32 = 19;

/// Multiplicative hasher for the `u32` anchor keys (SipHash is not needed: the keys come
/// from the rules, not from events).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IntHasher(u64);

impl Hasher for IntHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 =
                (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(0x517C_C1B7_2722_0A95);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x517C_C1B7_2722_0A95);
        }
    }
    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type AnchorMap = HashMap<u32, (u32, u32), BuildHasherDefault<IntHasher>>;

/// A map keyed by rule-derived strings and probed with event-derived ones. An unseeded
/// hash is safe here: the table's contents come from the rules, so however the probing
/// keys collide, a lookup walks at most the table's own (fixed) probe sequence.
pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<IntHasher>>;

/// A literal filed under an anchor: where the anchor sits in it, and its first bytes for
/// a one-load check.
#[derive(Debug, Clone, Copy)]
struct Entry {
    lit: u32,
    /// Offset of the anchor in the literal.
    off: u32,
    len: u32,
    /// The literal's first (up to) 8 bytes, little-endian, and the mask of those bytes.
    head: u64,
    mask: u64,
}

/// Keys of 3-byte anchors carry this tag in the top byte, which no 4-byte window of UTF-8
/// text has (0xFF never occurs in UTF-8), so both widths share one table.
const NARROW_TAG: u32 = 0xFF00_0000;

/// Literals ready to be found.
#[derive(Debug, Clone, Default)]
pub(crate) struct Literals {
    bloom: Vec<u64>,
    /// Anchor → range in `entries`.
    anchors: AnchorMap,
    entries: Vec<Entry>,
    lits: Vec<Box<[u8]>>,
    /// A small bitmap of the 3-byte anchors (few literals are that short), so the second
    /// probe per position stays in L1.
    narrow_bloom: Vec<u64>,
    /// Exact bitmap of the last two bytes of every anchor (8 KiB, stays in L1): most
    /// positions stop here before touching the larger bitmaps.
    tails: Vec<u64>,
    has_narrow: bool,
}

const NARROW_BITS: u32 = 13;

/// Bitmap position of an anchor: `(word, bit mask)`. (A blocked two-bit variant was
/// measured no faster here: fewer false positives, more work per byte.)
#[inline(always)]
fn bloom_pos(g: u32, mult: u64, bits: u32) -> (usize, u64) {
    // The high half of a 64-bit multiplicative hash is well mixed.
    let h = u64::from(g).wrapping_mul(mult);
    let word = (h >> (64 - (bits - 6))) as usize;
    let mask = 1u64 << ((h >> 32) & 63);
    (word, mask)
}

fn gram(b: &[u8]) -> u32 {
    b.iter().fold(0u32, |g, &x| g << 8 | u32::from(x))
}

const WIDE_MULT: u64 = 0x9E37_79B9_7F4A_7C15;
const NARROW_MULT: u64 = 0xC2B2_AE3D_27D4_EB4F;

/// Typical event text (lower case): anchors that occur here make poor filters.
const TYPICAL: &str = "c:\\windows\\system32\\svchost.exe -k netsvcs -p -s schedule \
c:\\windows\\syswow64\\rundll32.exe c:\\program files (x86)\\microsoft\\edge\\application\\msedge.exe \
c:\\program files\\windows defender\\msmpeng.exe c:\\users\\administrator\\appdata\\local\\temp\\ \
c:\\users\\public\\downloads\\ c:\\programdata\\microsoft\\windows\\start menu\\programs\\ \
\"c:\\windows\\system32\\cmd.exe\" /c powershell.exe -executionpolicy bypass -noprofile \
c:\\windows\\explorer.exe microsoft corporation microsoft windows operating system \
microsoft® windows® operating system nt authority\\system nt authority\\network service \
sha1=,md5=,sha256=,imphash= 2025-10-25 17:01:06.109 {5aa13a44-0252-68fd-7235-000000004002} \
medium high system true false signed valid hklm\\software\\microsoft\\windows\\currentversion\\run \
hkcu\\software\\classes\\ hklm\\system\\currentcontrolset\\services\\ \\registry\\machine\\ \
microsoft-windows-sysmon/operational security application 10.0.20348.4163 (winbuild.160101.0800) \
fileversion description product company originalfilename .exe .dll .sys .tmp .log .txt .dat";

static TYPICAL_WINDOWS: LazyLock<Typical> = LazyLock::new(Typical::new);

/// Anchor cost at or above which a literal is not worth filtering on: its best window
/// occurs in typical event text (`windows`, `cmd.exe`, `system32`).
pub(crate) const POOR_ANCHOR: u32 = 100;

/// The cost of a literal's best anchor (see [`gram_cost`]); `u32::MAX` when shorter than
/// 3 bytes.
pub(crate) fn anchor_cost(lit: &str) -> u32 {
    let b = lit.as_bytes();
    let width = match b.len() {
        0..=2 => return u32::MAX,
        3 => 3,
        _ => 4,
    };
    b.windows(width)
        .map(|w| gram_cost(w, &TYPICAL_WINDOWS))
        .min()
        .unwrap_or(u32::MAX)
}

/// The windows of [`TYPICAL`], by width.
struct Typical {
    counts: HashMap<&'static [u8], u32>,
}

impl Typical {
    fn new() -> Typical {
        let b = TYPICAL.as_bytes();
        let mut counts = HashMap::new();
        for n in 2..=4 {
            for w in b.windows(n) {
                *counts.entry(w).or_insert(0) += 1;
            }
        }
        Typical { counts }
    }

    /// How often a window occurs in [`TYPICAL`] (capped).
    fn count(&self, w: &[u8]) -> u32 {
        self.counts.get(w).copied().unwrap_or(0).min(10)
    }
}

/// How likely an anchor (3 or 4 bytes) is to occur in event text, lower is rarer: one
/// seen whole in typical text costs most (the more often, the more), then one whose
/// leading or trailing part is (`h=` of `imphash=`), then by character class (digits and
/// hex letters fill hashes, GUIDs and timestamps).
fn gram_cost(g: &[u8], typical: &Typical) -> u32 {
    let n = g.len();
    let mut cost = 0;
    let whole = typical.count(g);
    if whole > 0 {
        cost += 100 + 30 * (whole - 1);
    }
    cost += 25 * typical.count(&g[..n - 1]).min(2);
    cost += 25 * typical.count(&g[1..]).min(2);
    for &b in g {
        cost += match b {
            b'0'..=b'9' => 10,
            b'a'..=b'f' => 7,
            b'=' | b',' | b'{' | b'}' | b'-' => 8,
            b'\\' | b'.' | b':' | b' ' => 6,
            b't' | b'o' | b'i' | b'n' | b's' | b'r' => 4,
            b'g'..=b'z' => 3,
            _ => 2,
        };
    }
    cost
}

impl Literals {
    /// Builds the anchor table. Literals shorter than 3 bytes are never reported.
    pub(crate) fn build(literals: &[&str]) -> Literals {
        let typical = &*TYPICAL_WINDOWS;
        let mut by_anchor: HashMap<u32, Vec<Entry>> = HashMap::new();
        let mut uses: HashMap<u32, u32> = HashMap::new();
        let mut out = Literals {
            bloom: vec![0; 1 << (BLOOM_BITS - 6)],
            narrow_bloom: vec![0; 1 << (NARROW_BITS - 6)],
            tails: vec![0; 1 << (16 - 6)],
            ..Literals::default()
        };
        for (i, lit) in literals.iter().enumerate() {
            let b = lit.as_bytes();
            out.lits.push(Box::<[u8]>::from(b));
            let width = match b.len() {
                0..=2 => continue,
                3 => 3,
                _ => 4,
            };
            // The rarest window; among equals the least shared so far, then the last.
            let (off, g) = (0..=b.len() - width)
                .map(|k| (k, gram(&b[k..k + width])))
                .min_by_key(|&(k, g)| {
                    (
                        gram_cost(&b[k..k + width], typical),
                        uses.get(&g).copied().unwrap_or(0),
                        usize::MAX - k,
                    )
                })
                .unwrap_or((0, gram(&b[..width])));
            let key = if width == 3 { g | NARROW_TAG } else { g };
            out.has_narrow |= width == 3;
            *uses.entry(key).or_default() += 1;
            let n = b.len().min(8);
            let mut head = [0u8; 8];
            head[..n].copy_from_slice(&b[..n]);
            by_anchor.entry(key).or_default().push(Entry {
                lit: u32::try_from(i).unwrap_or(u32::MAX),
                off: u32::try_from(off).unwrap_or(u32::MAX),
                len: u32::try_from(b.len()).unwrap_or(u32::MAX),
                head: u64::from_le_bytes(head),
                mask: if n == 8 {
                    u64::MAX
                } else {
                    (1u64 << (8 * n)) - 1
                },
            });
        }
        let mut grams: Vec<_> = by_anchor.into_iter().collect();
        grams.sort_unstable_by_key(|(g, _)| *g);
        out.anchors = AnchorMap::with_capacity_and_hasher(grams.len(), Default::default());
        for (g, list) in grams {
            let start = u32::try_from(out.entries.len()).unwrap_or(u32::MAX);
            out.entries.extend(list);
            let end = u32::try_from(out.entries.len()).unwrap_or(u32::MAX);
            out.anchors.insert(g, (start, end));
            let tail = (g & 0xFFFF) as usize;
            out.tails[tail / 64] |= 1 << (tail % 64);
            if g & NARROW_TAG == NARROW_TAG {
                let (w, m) = bloom_pos(g & 0x00FF_FFFF, NARROW_MULT, NARROW_BITS);
                out.narrow_bloom[w] |= m;
            } else {
                let (w, m) = bloom_pos(g, WIDE_MULT, BLOOM_BITS);
                out.bloom[w] |= m;
            }
        }
        out
    }

    #[inline(always)]
    fn probe(&self, g: u32) -> Option<&[Entry]> {
        let (w, m) = bloom_pos(g, WIDE_MULT, BLOOM_BITS);
        if self.bloom[w] & m != m {
            return None;
        }
        self.lookup(g)
    }

    #[inline(always)]
    fn probe_narrow(&self, g3: u32) -> Option<&[Entry]> {
        let (w, m) = bloom_pos(g3, NARROW_MULT, NARROW_BITS);
        if self.narrow_bloom[w] & m != m {
            return None;
        }
        self.lookup(g3 | NARROW_TAG)
    }

    fn lookup(&self, key: u32) -> Option<&[Entry]> {
        let &(start, end) = self.anchors.get(&key)?;
        Some(&self.entries[start as usize..end as usize])
    }

    /// Calls `found(literal index)` for every literal occurring in `text` (possibly more
    /// than once per literal).
    pub(crate) fn scan(&self, text: &[u8], mut found: impl FnMut(usize)) {
        if text.len() < 3 || self.anchors.is_empty() {
            return;
        }
        let mut verify = |entries: &[Entry], anchor_start: usize| {
            for e in entries {
                let Some(begin) = anchor_start.checked_sub(e.off as usize) else {
                    continue;
                };
                let len = e.len as usize;
                if begin + len > text.len() {
                    continue;
                }
                let mut w = [0u8; 8];
                let n = len.min(8);
                w[..n].copy_from_slice(&text[begin..begin + n]);
                if u64::from_le_bytes(w) & e.mask != e.head {
                    continue;
                }
                if len <= 8 || text[begin + 8..begin + len] == self.lits[e.lit as usize][8..] {
                    found(e.lit as usize);
                }
            }
        };
        let mut g = u32::from(text[0]) << 8 | u32::from(text[1]);
        for (i, &byte) in text.iter().enumerate().skip(2) {
            g = g << 8 | u32::from(byte);
            let tail = (g & 0xFFFF) as usize;
            if self.tails[tail / 64] & (1 << (tail % 64)) == 0 {
                continue;
            }
            if self.has_narrow
                && let Some(entries) = self.probe_narrow(g & 0x00FF_FFFF)
            {
                verify(entries, i - 2);
            }
            if i >= 3
                && let Some(entries) = self.probe(g)
            {
                verify(entries, i - 3);
            }
        }
    }
}
