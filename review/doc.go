// Package review is the human side of Warden: incidents raised by block and
// escalate decisions travel from the guard's durable outbox over Kafka into
// a review store, where reviewers work them in a web queue and their
// verdicts flow back out as labels.
//
//	check ─▶ outbox (local log) ─▶ relay ─▶ Kafka warden.incidents ─▶ ingest ─▶ store
//	store (verdict + transactional outbox) ─▶ relay ─▶ Kafka warden.verdicts
//	poison messages ─▶ Kafka warden.incidents.dlq
//
// Delivery is at least once at every hop and exactly once in effect: the
// store upserts incidents by id, so a republished or redelivered incident
// is stored once.
//
// This package holds the pipeline's configuration (Config, from the
// environment) and its two roles, wired from the subpackages:
//
//   - Guard, inside `warden serve`: the outbox the check records into, the
//     relay to Kafka, and — when no KAFKA_BROKERS are configured — the
//     embedded Kafka-protocol broker on loopback.
//   - Service, `warden review` (and, on the embedded default, also inside
//     `warden serve`): the review store, the ingest consumer group and the
//     relay of verdict events.
//
// Subpackages: incident (warden.incident.v1 and its JSON Schema), verdict
// (warden.verdict.v1), outbox (durable log and relay), bus (kafka-go
// setup, topics, the embedded broker), ingest (consumer), store (SQLite or
// PostgreSQL), keyring (sealing sensitive fields).
package review
