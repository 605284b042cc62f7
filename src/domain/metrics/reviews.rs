//! Which agent a guest review speaks for, and the review figures of a report (SPEC §9:
//! `reviews`, `communication_score_avg`).
//!
//! A review is credited to the agent who sent the most replies on its reservation's tickets
//! before the review was submitted; when several sent as many, to the one of them who replied
//! last. A review nobody answered is credited to nobody and counts for the team only.

use crate::domain::ids::{MessageId, UserId};
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// One agent's replies on a reviewed reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyTally {
    pub agent: UserId,
    pub replies: i64,
    /// When the agent's latest reply was sent, and its id (which breaks a tie of times).
    pub last_reply_at: DateTime<Utc>,
    pub last_reply: MessageId,
}

/// The agent a review is credited to: the most replies, then the latest reply.
pub fn credited_agent(tallies: &[ReplyTally]) -> Option<UserId> {
    tallies
        .iter()
        .filter(|t| t.replies > 0)
        .max_by_key(|t| (t.replies, t.last_reply_at, t.last_reply))
        .map(|t| t.agent)
}

/// A review in a report period, with the replies that decide whom it is credited to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewedStay {
    /// The communication score, if the guest gave one.
    pub communication: Option<i16>,
    pub tallies: Vec<ReplyTally>,
}

/// The review figures of one agent or of the team.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReviewFigures {
    pub reviews: i64,
    /// The sum and number of the communication scores given, for the average.
    pub communication_sum: i64,
    pub communication_scored: i64,
}

impl ReviewFigures {
    fn add(&mut self, stay: &ReviewedStay) {
        self.reviews += 1;
        if let Some(score) = stay.communication {
            self.communication_sum += i64::from(score);
            self.communication_scored += 1;
        }
    }
}

/// The figures of each credited agent, and of the team (every review of the period).
pub fn tally(stays: &[ReviewedStay]) -> (HashMap<UserId, ReviewFigures>, ReviewFigures) {
    let mut by_agent: HashMap<UserId, ReviewFigures> = HashMap::new();
    let mut team = ReviewFigures::default();
    for stay in stays {
        team.add(stay);
        if let Some(agent) = credited_agent(&stay.tallies) {
            by_agent.entry(agent).or_default().add(stay);
        }
    }
    (by_agent, team)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use proptest::prelude::*;

    fn at(minute: i64) -> DateTime<Utc> {
        "2026-05-01T10:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::minutes(minute)
    }

    fn tally_of(agent: i64, replies: i64, minute: i64) -> ReplyTally {
        ReplyTally {
            agent: UserId(agent),
            replies,
            last_reply_at: at(minute),
            last_reply: MessageId(minute),
        }
    }

    #[test]
    fn the_most_replies_win_and_a_tie_goes_to_the_latest_reply() {
        assert_eq!(
            credited_agent(&[tally_of(1, 3, 0), tally_of(2, 2, 50)]),
            Some(UserId(1)),
            "more replies beat a later one"
        );
        assert_eq!(
            credited_agent(&[tally_of(1, 2, 10), tally_of(2, 2, 20), tally_of(3, 1, 30)]),
            Some(UserId(2)),
            "of the two with most, the one who replied last"
        );
        assert_eq!(credited_agent(&[]), None);
        assert_eq!(credited_agent(&[tally_of(1, 0, 0)]), None);
    }

    #[test]
    fn the_team_counts_every_review_and_agents_their_own() {
        let stays = [
            ReviewedStay {
                communication: Some(5),
                tallies: vec![tally_of(1, 2, 0)],
            },
            ReviewedStay {
                communication: Some(2),
                tallies: vec![tally_of(1, 1, 0), tally_of(2, 3, 0)],
            },
            ReviewedStay {
                communication: None,
                tallies: vec![tally_of(1, 1, 0)],
            },
            ReviewedStay {
                communication: Some(4),
                tallies: vec![],
            },
        ];
        let (by_agent, team) = tally(&stays);
        assert_eq!(
            by_agent[&UserId(1)],
            ReviewFigures {
                reviews: 2,
                communication_sum: 5,
                communication_scored: 1
            }
        );
        assert_eq!(by_agent[&UserId(2)].reviews, 1);
        assert_eq!(
            team,
            ReviewFigures {
                reviews: 4,
                communication_sum: 11,
                communication_scored: 3
            }
        );
    }

    fn tallies() -> impl Strategy<Value = Vec<ReplyTally>> {
        // Distinct agents and distinct reply ids, as the database gives them.
        prop::collection::vec((0i64..6, 0i64..4), 0..6).prop_map(|v| {
            v.into_iter()
                .enumerate()
                .map(|(i, (replies, minute))| ReplyTally {
                    agent: UserId(i as i64 + 1),
                    replies,
                    last_reply_at: at(minute),
                    last_reply: MessageId(i as i64 * 7 % 11),
                })
                .collect()
        })
    }

    proptest! {
        #[test]
        fn the_credited_agent_sent_the_most_and_no_one_as_busy_replied_later(t in tallies()) {
            match credited_agent(&t) {
                None => prop_assert!(t.iter().all(|x| x.replies == 0)),
                Some(agent) => {
                    let won = t.iter().find(|x| x.agent == agent).unwrap();
                    prop_assert!(won.replies > 0);
                    for other in t.iter().filter(|x| x.agent != agent) {
                        prop_assert!(other.replies <= won.replies);
                        if other.replies == won.replies {
                            prop_assert!(
                                (other.last_reply_at, other.last_reply)
                                    < (won.last_reply_at, won.last_reply)
                            );
                        }
                    }
                }
            }
        }

        #[test]
        fn the_order_of_the_tallies_does_not_matter(t in tallies()) {
            let mut reversed = t.clone();
            reversed.reverse();
            prop_assert_eq!(credited_agent(&t), credited_agent(&reversed));
        }

        #[test]
        fn agents_never_count_more_reviews_than_the_team(
            stays in prop::collection::vec((prop::option::of(1i16..=5), tallies()), 0..8)
        ) {
            let stays: Vec<ReviewedStay> = stays
                .into_iter()
                .map(|(communication, tallies)| ReviewedStay { communication, tallies })
                .collect();
            let (by_agent, team) = tally(&stays);
            prop_assert_eq!(team.reviews, stays.len() as i64);
            let credited: i64 = by_agent.values().map(|f| f.reviews).sum();
            let answered = stays.iter().filter(|s| s.tallies.iter().any(|t| t.replies > 0)).count();
            prop_assert_eq!(credited, answered as i64);
        }
    }
}
