//! The machine's peak f32 throughput, measured with a loop of independent fused multiply-adds
//! in the widest vector unit available (AVX-512, else AVX2+FMA), on each thread at once.

use std::time::Instant;

/// Runs `rounds` rounds of 12 independent vector FMA chains; returns flops performed.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
unsafe fn fma_loop_avx512(rounds: u64) -> (f64, f32) {
    use std::arch::x86_64::*;
    let mut acc = [_mm512_set1_ps(0.0); 12];
    let (a, b) = (_mm512_set1_ps(0.999_999), _mm512_set1_ps(1e-7));
    for _ in 0..rounds {
        for r in acc.iter_mut() {
            *r = _mm512_fmadd_ps(*r, a, b);
        }
    }
    let sum = acc.iter().map(|r| _mm512_reduce_add_ps(*r)).sum();
    (rounds as f64 * 12.0 * 16.0 * 2.0, sum)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn fma_loop_avx2(rounds: u64) -> (f64, f32) {
    use std::arch::x86_64::*;
    let mut acc = [_mm256_set1_ps(0.0); 12];
    let (a, b) = (_mm256_set1_ps(0.999_999), _mm256_set1_ps(1e-7));
    for _ in 0..rounds {
        for r in acc.iter_mut() {
            *r = _mm256_fmadd_ps(*r, a, b);
        }
    }
    let mut lanes = [0.0f32; 8];
    let mut sum = 0.0;
    for r in acc {
        _mm256_storeu_ps(lanes.as_mut_ptr(), r);
        sum += lanes.iter().sum::<f32>();
    }
    (rounds as f64 * 12.0 * 8.0 * 2.0, sum)
}

fn fma_loop(rounds: u64) -> (f64, f32) {
    #[cfg(target_arch = "x86_64")]
    {
        if is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked just above).
            return unsafe { fma_loop_avx512(rounds) };
        }
        if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
            // SAFETY: the CPU supports AVX2 and FMA (checked just above).
            return unsafe { fma_loop_avx2(rounds) };
        }
    }
    let mut acc = [0.0f32; 8];
    for _ in 0..rounds {
        for r in acc.iter_mut() {
            *r = r.mul_add(0.999_999, 1e-7);
        }
    }
    (rounds as f64 * 16.0, acc.iter().sum())
}

/// Peak f32 GFLOP/s of `threads` threads running FMA loops at once, best of five tries (on a
/// shared virtual machine a try now and then gets less than all of its cores).
pub fn measure_peak_gflops(threads: usize) -> f64 {
    let rounds = 20_000_000;
    let mut best: f64 = 0.0;
    for _ in 0..5 {
        let start = Instant::now();
        let flops: f64 = std::thread::scope(|s| {
            let handles: Vec<_> = (0..threads.max(1))
                .map(|_| s.spawn(move || fma_loop(rounds)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("FMA thread").0)
                .sum()
        });
        best = best.max(flops / start.elapsed().as_secs_f64() / 1e9);
    }
    best
}

/// Peak resident memory of this process in MiB (Linux; 0 elsewhere).
pub fn peak_rss_mb() -> f64 {
    status_kb("VmHWM:") / 1024.0
}

/// Current resident memory of this process in MiB (Linux; 0 elsewhere).
pub fn rss_mb() -> f64 {
    status_kb("VmRSS:") / 1024.0
}

fn status_kb(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0.0)
}
