//! What both processes derive from the seed: the call's script, the moments the sockets are
//! cut and what the LLM answers each request with. Deterministic, so a run can be repeated.

use helix_engage_sim::{Fault, Script, Turn};

/// 16 kHz stereo linear16 (agent on channel 0, customer on 1), as the simulator's tests use.
pub const RATE: u32 = 16_000;
/// Bytes per second of that audio.
pub const BPS: f64 = (RATE * 4) as f64;
/// Sample frames in one 20 ms audio frame.
pub const FRAME_SAMPLES: u32 = RATE / 50;

/// splitmix64: a seeded sequence without a dependency (quality is irrelevant here).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// A call of `secs` seconds: a turn every 5 s (3.5 s long), speakers alternating, every turn's
/// text different, so a lost or doubled final shows and every other turn is a customer's end
/// of turn (a suggestion trigger).
pub fn script(secs: f64) -> Script {
    let words = [
        "alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf",
    ];
    let turns = ((secs - 1.0) / 5.0).floor().max(0.0) as usize;
    Script {
        turns: (0..turns)
            .map(|k| {
                let start = 5.0 * k as f64 + 0.5;
                let text = format!(
                    "Turn {k} says {} {} and {}.",
                    words[k % 7],
                    words[(k + 2) % 7],
                    words[(k + 4) % 7]
                );
                Turn::new(k % 2, text, start, start + 3.5)
            })
            .collect(),
    }
}

/// `drops` moments (call seconds) spread over the call: one in each equal slot between 10 s
/// and 15 s before the end, at a seeded point of the slot's middle 60 %.
pub fn drop_times(secs: f64, drops: u32, seed: u64) -> Vec<f64> {
    let mut rng = Rng::new(seed);
    let (from, to) = (10.0_f64.min(secs / 4.0), (secs - 15.0).max(secs * 0.75));
    let slot = (to - from) / f64::from(drops.max(1));
    (0..drops)
        .map(|k| from + slot * f64::from(k) + slot * (0.2 + 0.6 * rng.unit()))
        .collect()
}

/// How an LLM request is answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LlmOutcome {
    Ok,
    RateLimited,
    ServerError,
    Stalled,
}

impl LlmOutcome {
    pub const ALL: [LlmOutcome; 4] = [
        LlmOutcome::Ok,
        LlmOutcome::RateLimited,
        LlmOutcome::ServerError,
        LlmOutcome::Stalled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            LlmOutcome::Ok => "ok",
            LlmOutcome::RateLimited => "429",
            LlmOutcome::ServerError => "500",
            LlmOutcome::Stalled => "stalled",
        }
    }

    /// The simulator fault that produces it (`Delay 0` is a normal answer: it keeps the
    /// request's place in the sequence of armed faults).
    pub fn fault(self) -> Fault {
        match self {
            LlmOutcome::Ok => Fault::Delay { ms: 0 },
            LlmOutcome::RateLimited => Fault::RateLimited {
                retry_after_secs: 2,
            },
            LlmOutcome::ServerError => Fault::Status { status: 500 },
            // Never answers: the request's own timeout (8 s by default) abandons it.
            LlmOutcome::Stalled => Fault::StopAnswering,
        }
    }
}

/// The answer to each LLM request in turn: 429, 500 or a stall at the given rates, else a
/// normal answer. One entry per second of call is more requests than the pacing allows.
pub fn llm_plan(secs: f64, seed: u64, rates: [f64; 3]) -> Vec<LlmOutcome> {
    // Another stream than the drops', so changing the drop count keeps the LLM's answers.
    let mut rng = Rng::new(seed ^ 0x5EED_0F11_u64);
    let n = secs.ceil() as usize + 10;
    (0..n)
        .map(|_| {
            let r = rng.unit();
            if r < rates[0] {
                LlmOutcome::RateLimited
            } else if r < rates[0] + rates[1] {
                LlmOutcome::ServerError
            } else if r < rates[0] + rates[1] + rates[2] {
                LlmOutcome::Stalled
            } else {
                LlmOutcome::Ok
            }
        })
        .collect()
}
