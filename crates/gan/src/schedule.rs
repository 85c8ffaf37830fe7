//! How many critic steps each generator iteration gets: `n_critic` normally, and `boost_steps`
//! during the first `boost_warmup` generator iterations and on every `boost_every`-th one, so
//! that the critic is trained close to optimality from time to time (Arjovsky et al., 2017).

use crate::config::TrainConfig;

/// The critic schedule. A zero disables the corresponding boost.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CriticSchedule {
    /// Critic steps of an ordinary generator iteration.
    pub n_critic: usize,
    /// Critic steps of a boost iteration (0: no boosts).
    pub boost_steps: usize,
    /// Generator iterations at the start that are all boosts.
    pub boost_warmup: usize,
    /// Every this many generator iterations is a boost.
    pub boost_every: usize,
}

impl CriticSchedule {
    /// The schedule a configuration asks for.
    pub fn from_config(c: &TrainConfig) -> Self {
        CriticSchedule {
            n_critic: c.n_critic,
            boost_steps: c.boost_steps,
            boost_warmup: c.boost_warmup,
            boost_every: c.boost_every,
        }
    }

    /// True when generator iteration `iteration` (counted from 0) is a boost.
    pub fn is_boost(&self, iteration: u64) -> bool {
        let warmup = iteration < self.boost_warmup as u64;
        let periodic = self.boost_every > 0 && iteration.is_multiple_of(self.boost_every as u64);
        self.boost_steps > 0 && (warmup || periodic)
    }

    /// Critic steps before generator iteration `iteration` (counted from 0).
    pub fn critic_steps(&self, iteration: u64) -> usize {
        if self.is_boost(iteration) {
            self.boost_steps
        } else {
            self.n_critic
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn total(s: &CriticSchedule, iterations: u64) -> usize {
        (0..iterations).map(|i| s.critic_steps(i)).sum()
    }

    #[test]
    fn default_boosts_give_the_promised_step_counts() {
        let s = CriticSchedule {
            n_critic: 5,
            boost_steps: 100,
            boost_warmup: 25,
            boost_every: 500,
        };
        // Iterations 0..25 and 500 are boosts: 26 × 100 + 974 × 5.
        assert_eq!(total(&s, 1000), 26 * 100 + 974 * 5);
        assert!(s.is_boost(24) && !s.is_boost(25) && s.is_boost(500) && !s.is_boost(501));
    }

    #[test]
    fn zeros_disable_each_boost() {
        let off = CriticSchedule {
            n_critic: 5,
            boost_steps: 0,
            boost_warmup: 25,
            boost_every: 500,
        };
        assert_eq!(total(&off, 1000), 5000);
        let no_warmup = CriticSchedule {
            boost_warmup: 0,
            boost_steps: 100,
            ..off
        };
        // Only iterations 0 and 500.
        assert_eq!(total(&no_warmup, 1000), 2 * 100 + 998 * 5);
        let no_periodic = CriticSchedule {
            boost_every: 0,
            boost_steps: 100,
            ..off
        };
        assert_eq!(total(&no_periodic, 1000), 25 * 100 + 975 * 5);
    }

    #[test]
    fn a_periodic_boost_inside_the_warm_up_is_counted_once() {
        let s = CriticSchedule {
            n_critic: 2,
            boost_steps: 7,
            boost_warmup: 3,
            boost_every: 2,
        };
        // Boosts at 0, 1, 2 (warm-up; 0 and 2 periodic too), 4, 6, 8.
        let steps: Vec<usize> = (0..10).map(|i| s.critic_steps(i)).collect();
        assert_eq!(steps, [7, 7, 7, 2, 7, 2, 7, 2, 7, 2]);
        assert_eq!(total(&s, 1000), 501 * 7 + 499 * 2);
    }
}
