// Package bus is the Kafka layer of Lắng Nghe: topic names and creation, a producer, a
// consumer-group consumer with at-least-once delivery and a dead-letter queue, Prometheus
// metrics, and an embedded in-process Kafka-protocol broker (kfake) for single-machine runs
// and tests. Everything speaks the Kafka protocol through segmentio/kafka-go, so the same
// code path runs against the embedded broker and a real Apache Kafka cluster.
//
// # Delivery contract (at-least-once)
//
// Producer.Publish returns only after every in-sync replica acknowledged the messages
// (acks=all). Keys are post ids and are hashed with the Java client's murmur2 partitioner,
// so one post always lands on the same partition and its versions stay ordered, whichever
// client (Go or Java) produced it.
//
// Consumer.Run fetches a batch, hands it to the Processor, and commits an offset only after
// every message of the batch is done: processed successfully, or, when the Processor marked
// it permanent (errors.Is(err, ErrPermanent)), written to the dead-letter topic posts.dlq.
// Per partition it commits the highest offset of the contiguous run of done messages, never
// beyond a message that is not done. Transient failures are retried (only the failed
// messages, with capped exponential backoff and jitter) and block further fetching, which is
// the backpressure: a stage whose sink is down stops reading instead of piling up work.
//
// A crash or a cancellation therefore never loses a message: whatever was fetched but not
// committed, including a whole unfinished batch, is delivered again to the next member of
// the consumer group. The price is duplicates after a restart, so every stage must be
// idempotent; this is why the post id is the Kafka key and the store's document id
// (redelivery overwrites instead of duplicating).
//
// A dead-lettered message keeps its key and value and carries headers naming the stage
// (HeaderStage), the reason (HeaderError, one line of at most 1 KiB) and where it came from
// (HeaderTopic, HeaderPartition, HeaderOffset), so it can be inspected and replayed.
package bus
