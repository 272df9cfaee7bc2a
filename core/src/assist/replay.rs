//! The replay buffer: audio the host has pushed that Deepgram has not finalised yet.
//!
//! Positions are absolute byte offsets into the stream of audio sent to Deepgram ("stream
//! bytes"; the session's code calls them call bytes), so the same number means the same instant
//! on every connection. The stream is the call's audio minus its private stretches, which
//! `send_audio` withholds before they get here: nothing private is ever held, so nothing
//! private is ever replayed, and the stream's clock runs behind the call's by the stretches'
//! length (`deepgram/timeline.rs` maps one to the other). The session releases audio up to the
//! end of the last final on every channel; after a reconnect it resends from the buffer's
//! start, which becomes the new connection's time 0 (the timestamp offset).

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};

use super::audio::AudioFormat;

/// The bound for containerised audio, which has no byte rate: containers are never replayed,
/// so this only bounds audio queued during an outage.
const CONTAINER_MAX_BYTES: u64 = 8 * 1024 * 1024;

/// Chunks up to this size are copied into shared blocks ([`Blocks`]); larger ones are kept as
/// the host gave them (a copy would buy nothing: they are few).
const SMALL_CHUNK: usize = 4 * 1024;
/// A block holds this many chunks of the size that opens it: few enough that its unused tail
/// and its released head (what a block costs over the audio it holds) stay within what a
/// separate allocation per chunk cost before, ~100 bytes each over the ~125 chunks of 2.5 s.
const CHUNKS_PER_BLOCK: usize = 8;

#[derive(Debug)]
struct Chunk {
    start: u64,
    data: Bytes,
    /// When the host handed this chunk to `send_audio` (transcript latency is measured from
    /// there, so an outage and its replay show in it).
    queued_at: Instant,
}

impl Chunk {
    fn end(&self) -> u64 {
        self.start + self.data.len() as u64
    }
}

/// Small chunks, copied into blocks shared by several of them. Live audio comes as 50 small
/// chunks a second, each held for the seconds until Deepgram finalises it: kept as given, each
/// would be an allocation of its own, plus a second one the first time it is sliced for the
/// socket (`Bytes`' shared header), freed seconds later among everything else — `malloc`'s
/// consolidation work and scattered cache lines, per frame. Copied (a few hundred bytes), the
/// host's buffer is freed at once, so its next chunk reuses it while it is still in cache, and
/// a slice of a block is a reference count.
#[derive(Debug, Default)]
struct Blocks {
    /// The current block's free tail (the part before it is held by chunks already pushed).
    free: BytesMut,
}

impl Blocks {
    fn keep(&mut self, data: Bytes) -> Bytes {
        if data.len() > SMALL_CHUNK {
            return data;
        }
        if self.free.capacity() < data.len() {
            self.free = BytesMut::with_capacity(data.len() * CHUNKS_PER_BLOCK);
        }
        self.free.extend_from_slice(&data);
        self.free.split().freeze()
    }
}

/// A bounded window `[start, end)` of the call's audio.
#[derive(Debug)]
pub(crate) struct ReplayBuffer {
    chunks: VecDeque<Chunk>,
    blocks: Blocks,
    start: u64,
    end: u64,
    max_bytes: u64,
    /// Sample-frame size; every cut is aligned to it.
    frame: u64,
    /// Audio before this is finalised (released by the session) or already reported lost.
    /// The bound may cut the buffer past it: that audio was sent, but if its socket dies
    /// before Deepgram finalises it, it is gone (see [`ReplayBuffer::take_unfinalised`]).
    accounted: u64,
}

impl ReplayBuffer {
    /// The buffer for a call in `audio`: `replay_buffer` of audio, cut on sample frames. The
    /// one place the buffer's byte bound is worked out.
    pub fn for_call(audio: &AudioFormat, replay_buffer: Duration) -> Self {
        let max_bytes = match audio.bytes_per_second() {
            Some(bps) => (replay_buffer.as_secs_f64() * bps as f64) as u64,
            None => CONTAINER_MAX_BYTES,
        };
        ReplayBuffer::new(max_bytes, audio.frame_bytes().unwrap_or(1))
    }

    pub fn new(max_bytes: u64, frame: u64) -> Self {
        let frame = frame.max(1);
        ReplayBuffer {
            chunks: VecDeque::new(),
            blocks: Blocks::default(),
            start: 0,
            end: 0,
            max_bytes: max_bytes.max(frame),
            frame,
            accounted: 0,
        }
    }

    /// The most bytes the buffer holds.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// First byte still held.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// One past the last byte pushed (total call bytes so far).
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Appends audio. If the window grows past its bound the oldest audio is cut. When some
    /// of it had not been sent yet (`sent` is the send position) the socket cannot keep up
    /// and will be replaced, so everything cut that Deepgram had not finalised is lost: those
    /// bytes are returned, to be reported. A cut of audio already sent returns 0: the socket
    /// that has it may still finalise it ([`take_unfinalised`](Self::take_unfinalised) settles
    /// that at the next reconnect).
    pub fn push(&mut self, data: Bytes, sent: u64, queued_at: Instant) -> u64 {
        if data.is_empty() {
            return 0;
        }
        let len = data.len() as u64;
        if self.chunks.len() == self.chunks.capacity() {
            // By a quarter, not double: a call holds ~130 chunks between finals (2.5 s of
            // 20 ms frames), just past a power of two, so doubling would leave half of the
            // records' memory unused for the whole call.
            self.chunks.reserve_exact((self.chunks.len() / 4).max(16));
        }
        self.chunks.push_back(Chunk {
            start: self.end,
            data: self.blocks.keep(data),
            queued_at,
        });
        self.end += len;
        if self.end - self.start > self.max_bytes {
            let mut cut = self.end - self.max_bytes;
            cut = cut.div_ceil(self.frame) * self.frame;
            let unsent = cut.min(self.end) > sent.max(self.start);
            self.cut_front(cut);
            if unsent {
                return self.take_unfinalised();
            }
        }
        0
    }

    /// Drops everything before `upto` (aligned down to a frame; never past `end`): Deepgram
    /// has finalised it.
    pub fn release(&mut self, upto: u64) {
        let upto = upto.min(self.end);
        let upto = upto - upto % self.frame;
        // Also when the bound cut past it already: the socket that had that audio finalised it.
        self.accounted = self.accounted.max(upto);
        self.cut_front(upto);
    }

    /// On a new socket (which starts at [`start`](Self::start)): the bytes the bound cut that
    /// Deepgram never finalised, not reported before. The socket they were sent to is gone, so
    /// they will never be transcribed: the caller reports them lost.
    pub fn take_unfinalised(&mut self) -> u64 {
        let lost = self.start.saturating_sub(self.accounted);
        self.accounted = self.accounted.max(self.start);
        lost
    }

    fn cut_front(&mut self, upto: u64) {
        let upto = upto.min(self.end);
        let upto = upto - upto % self.frame;
        if upto <= self.start {
            return;
        }
        while let Some(front) = self.chunks.front_mut() {
            if front.end() <= upto {
                self.chunks.pop_front();
            } else {
                if front.start < upto {
                    let skip = usize::try_from(upto - front.start).unwrap_or(0);
                    front.data = front.data.slice(skip..);
                    front.start = upto;
                }
                break;
            }
        }
        self.start = upto;
    }

    fn index_of(&self, pos: u64) -> Option<usize> {
        if pos < self.start || pos >= self.end {
            return None;
        }
        // Live audio is read from the newest chunk: look there first.
        if self.chunks.back().is_some_and(|c| c.start <= pos) {
            return Some(self.chunks.len() - 1);
        }
        // Chunks are contiguous and sorted: the first whose end is past `pos` holds it.
        let i = self.chunks.partition_point(|c| c.end() <= pos);
        (i < self.chunks.len()).then_some(i)
    }

    /// The bytes from `pos` to the end of its chunk, at most `max_len` (aligned to a frame when
    /// cut), or `None` when `pos` is not held (caught up, or released).
    pub fn frame_at(&self, pos: u64, max_len: usize) -> Option<Bytes> {
        let chunk = self.chunks.get(self.index_of(pos)?)?;
        let from = usize::try_from(pos - chunk.start).ok()?;
        let len = self.cut(chunk.data.len() - from, max_len);
        Some(chunk.data.slice(from..from + len))
    }

    /// How much of `available` bytes one frame takes: all of it up to `max_len`, and a cut
    /// short of it on a sample frame (at least one, unless less is available).
    fn cut(&self, available: usize, max_len: usize) -> usize {
        let len = available.min(max_len.max(1));
        if len == available {
            return len;
        }
        let frame = usize::try_from(self.frame).unwrap_or(1);
        (len - len % frame).max(frame.min(available))
    }

    /// Like [`frame_at`](Self::frame_at), but across chunks: everything held from `pos`, at
    /// most `max_len` (aligned to a frame when cut) — the coalesced frame
    /// (`deepgram/coalesce.rs`). One chunk's worth is its slice;
    /// more is copied into one allocation.
    pub fn span_at(&self, pos: u64, max_len: usize) -> Option<Bytes> {
        let first = self.index_of(pos)?;
        let len = self.cut(
            usize::try_from(self.end - pos).unwrap_or(usize::MAX),
            max_len,
        );
        let chunk = self.chunks.get(first)?;
        let from = usize::try_from(pos - chunk.start).ok()?;
        if chunk.data.len() - from >= len {
            return Some(chunk.data.slice(from..from + len));
        }
        let mut out = Vec::with_capacity(len);
        let mut at = from;
        for chunk in self.chunks.range(first..) {
            let take = (len - out.len()).min(chunk.data.len() - at);
            out.extend_from_slice(&chunk.data[at..at + take]);
            at = 0;
            if out.len() == len {
                break;
            }
        }
        Some(Bytes::from(out))
    }

    /// When the host queued the audio ending at `pos` (its last byte).
    pub fn queued_at(&self, pos: u64) -> Option<Instant> {
        let i = self.index_of(pos.checked_sub(1)?)?;
        Some(self.chunks.get(i)?.queued_at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(n: usize, v: u8) -> Bytes {
        Bytes::from(vec![v; n])
    }

    #[test]
    fn push_release_and_read_back() {
        let mut b = ReplayBuffer::new(1_000, 2);
        b.push(bytes(100, 1), 0, Instant::now());
        b.push(bytes(100, 2), 0, Instant::now());
        assert_eq!((b.start(), b.end()), (0, 200));
        let f = b.frame_at(50, 1_000).unwrap();
        assert_eq!((f.len(), f[0]), (50, 1));
        let f = b.frame_at(150, 20).unwrap();
        assert_eq!((f.len(), f[0]), (20, 2));
        // Release mid-chunk, aligned down to the 2-byte frame.
        b.release(151);
        assert_eq!(b.start(), 150);
        assert!(b.frame_at(149, 10).is_none());
        assert_eq!(b.frame_at(150, 1_000).unwrap().len(), 50);
        assert!(b.frame_at(200, 10).is_none());
        b.release(10_000);
        assert_eq!((b.start(), b.end()), (200, 200));
    }

    #[test]
    fn the_bound_drops_oldest_and_reports_unsent_loss() {
        let mut b = ReplayBuffer::new(300, 4);
        assert_eq!(b.push(bytes(200, 0), 200, Instant::now()), 0);
        // 400 bytes > 300: 100 oldest go; they were sent, so nothing is lost yet.
        assert_eq!(b.push(bytes(200, 0), 200, Instant::now()), 0);
        assert_eq!(b.start(), 100);
        // Deepgram finalised up to 200 (on channels' finals).
        b.release(200);
        // Everything up to 400 went out: cutting to 300 loses nothing unsent.
        assert_eq!(b.push(bytes(200, 0), 400, Instant::now()), 0);
        assert_eq!(b.start(), 300);
        // Disconnected with send position 300: cutting to 500 loses 200 unsent bytes, and
        // the 100 sent but never finalised (200..300), whose socket is gone.
        assert_eq!(b.push(bytes(200, 0), 300, Instant::now()), 300);
        assert_eq!(b.start(), 500);
        // Reported once.
        assert_eq!(b.take_unfinalised(), 0);
    }

    #[test]
    fn audio_cut_unfinalised_is_lost_at_the_next_socket_unless_finalised_meanwhile() {
        let mut b = ReplayBuffer::new(300, 4);
        b.push(bytes(400, 0), 400, Instant::now());
        assert_eq!(b.start(), 100);
        // The socket that has 0..100 finalises part of it after the cut: that part is safe.
        b.release(40);
        assert_eq!(b.start(), 100, "a release never moves the start back");
        // It dies; the next socket starts at 100: 40..100 will never be transcribed.
        assert_eq!(b.take_unfinalised(), 60);
        assert_eq!(b.take_unfinalised(), 0, "reported once");
        // Nothing is lost when the finals kept up with the bound.
        let mut b = ReplayBuffer::new(300, 4);
        b.push(bytes(400, 0), 400, Instant::now());
        b.release(100);
        assert_eq!(b.take_unfinalised(), 0);
    }

    #[test]
    fn the_bound_is_the_configured_seconds_of_audio() {
        let pcm = AudioFormat::Linear16 {
            sample_rate: 16_000,
            channels: 2,
        };
        let b = ReplayBuffer::for_call(&pcm, Duration::from_secs(30));
        assert_eq!(b.max_bytes(), 30 * 16_000 * 2 * 2);
        // Never below one sample frame, so a cut stays aligned.
        assert_eq!(ReplayBuffer::for_call(&pcm, Duration::ZERO).max_bytes(), 4);
        let container = AudioFormat::Container { channels: 1 };
        let b = ReplayBuffer::for_call(&container, Duration::from_secs(30));
        assert_eq!(b.max_bytes(), CONTAINER_MAX_BYTES);
    }

    #[test]
    fn small_chunks_share_blocks_and_large_ones_are_kept_as_given() {
        let mut b = ReplayBuffer::new(1 << 20, 2);
        let frames: Vec<Bytes> = (0..CHUNKS_PER_BLOCK as u8 + 1)
            .map(|i| bytes(640, i))
            .collect();
        for f in &frames {
            b.push(f.clone(), 0, Instant::now());
        }
        fn at(b: &ReplayBuffer, pos: u64) -> Bytes {
            b.frame_at(pos, usize::MAX).unwrap()
        }
        // Copied (not the host's buffers), one after another in one block...
        assert_ne!(at(&b, 0).as_ptr(), frames[0].as_ptr());
        for i in 1..CHUNKS_PER_BLOCK as u64 {
            assert_eq!(
                at(&b, i * 640).as_ptr(),
                at(&b, 0).as_ptr().wrapping_add(i as usize * 640)
            );
        }
        // ...and a new block once it is full; every byte as pushed.
        let next = at(&b, CHUNKS_PER_BLOCK as u64 * 640);
        assert_ne!(
            next.as_ptr(),
            at(&b, 0).as_ptr().wrapping_add(CHUNKS_PER_BLOCK * 640)
        );
        for (i, f) in frames.iter().enumerate() {
            assert_eq!(at(&b, i as u64 * 640), f);
        }
        // Released chunks leave the rest of their block readable.
        b.release(3 * 640);
        assert_eq!(at(&b, 3 * 640), frames[3]);
        assert!(b.frame_at(0, 10).is_none());
        // A large chunk is not copied.
        let large = bytes(SMALL_CHUNK + 2, 9);
        let pos = b.end();
        b.push(large.clone(), 0, Instant::now());
        assert_eq!(at(&b, pos).as_ptr(), large.as_ptr());
    }

    #[test]
    fn chunks_remember_when_the_host_queued_them() {
        let mut b = ReplayBuffer::new(1_000, 1);
        let (t1, t2) = (
            Instant::now(),
            Instant::now() + std::time::Duration::from_secs(1),
        );
        b.push(bytes(10, 0), 0, t1);
        b.push(bytes(10, 0), 0, t2);
        assert_eq!(b.queued_at(10), Some(t1));
        assert_eq!(b.queued_at(11), Some(t2));
        assert_eq!(b.queued_at(20), Some(t2));
        assert_eq!(b.queued_at(0), None);
        assert_eq!(b.queued_at(21), None);
    }
}
