// Package review is the human side of Warden: incidents raised by block and
// escalate decisions travel from the guard's durable outbox over Kafka into
// a review store, where reviewers work them in a web queue and their
// verdicts flow back out as labels.
//
// Subpackages: incident (the warden.incident.v1 event).
package review
