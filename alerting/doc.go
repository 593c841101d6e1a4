// Package alerting evaluates alert rules and emails the people who must react, once, on
// time, with the evidence. See ../shared/DESIGN.md ("Flow") and
// DESIGN.md ("Alert state" under "Decisions").
//
// # Rules
//
// Rules are YAML files (models/alerts/samples.yaml documents the format; `langnghe alerts
// check FILE...` validates them with file:line errors). A file with any error is rejected
// as a whole and logged; the rules of the other files keep running. Kinds:
//
//   - match: every new classified post matching the query, evaluated on posts.classified
//     by Engine.Process (a bus.Processor), so it fires within a second of classification.
//   - threshold: the count of matching posts published in the last window reaches count;
//     evaluated on the store every `every`.
//   - spike: the count of the last window exceeds mean + k·stddev of the previous
//     baseline_windows windows (stddev floored at √mean) and is at least min_count.
//   - digest: every day at `at` (Asia/Ho_Chi_Minh), the matching posts of the last
//     lookback grouped by narrative, with counts, trend against the period before, and
//     top posts.
//
// Every rule (and every silence by query) has one query, a string in the store's query
// language (store/query, the language of the web search box):
//
//	query: 'narrative:scam (chuyển khoản OR "mã OTP") -"quảng cáo"'
//
// It is parsed when the file loads; a syntax error is reported as file:line of the query
// plus the byte offset in the query text, and rejects the file. Match rules and silences
// evaluate it on each post with query.MatchAt (the same predicate the stores' conformance
// suite checks against both backends; TestMatcherAgreesWithStore checks it again through
// rule files); threshold, spike and digest rules pass it to the store as
// store.Query.Text. Per-key threshold and spike rules (group_by) count the values the
// query names for that field (narrative:a OR narrative:b) separately, each with the query
// narrowed to "(query) narrative:a". The older structured form of the first rule files (a
// mapping of text, narratives, sentiment, toxicity, flagged, platform, source) is still
// read and rewritten into the language at load (testdata/legacy_queries.yaml).
//
// # Throttling and silences
//
// As in Alertmanager: the first matching post of a key (group_by: source, narrative, ...)
// opens a group that waits group_wait and then goes out as one email with every post that
// arrived meanwhile; later posts of that key are collected and sent at most once per
// group_window. Threshold and spike rules re-send a condition that stays true only after
// repeat_interval. Silences (in rule files) mute a rule, or the posts matching a query,
// until an expiry time.
//
// # State and delivery
//
// Alert state (pending groups, recently counted post ids, last firing per rule, digests
// sent, the delivery queue and the recent history) is one JSON snapshot saved through a
// StateStore before a batch of posts is acknowledged to Kafka and after every delivery
// attempt. So a restart neither loses a pending group nor counts a redelivered post
// twice, and a queued alert survives both restarts and SMTP outages. With Elasticsearch
// configured the snapshot is one document of <base>-alerts-state (alerting/esstate),
// read by id and written with if_seq_no/if_primary_term: the alert role keeps nothing on
// its own disk, and when two replicas write, the later one gets ErrStateConflict,
// reloads the other's state and applies its change again (Observe, Tick and Deliver are
// idempotent by post id and notification id). Without Elasticsearch (embedded mode) it is
// the file <data_dir>/alerts/state.json, replaced atomically (temp file, fsync, rename),
// for one replica per data dir. Both pass alerting/statetest. Alert history is served by
// GET /api/alerts and, when Elasticsearch is configured, mirrored into the index
// <base>-alerts (alerting/eshistory) for Kibana.
//
// Every notification has an id derived from rule, key and window, used as the queue's
// idempotency key and in the Message-ID, so firing the same alert twice queues it once.
// Deliver sends the queue head until it succeeds (in order, capped exponential backoff),
// making delivery at-least-once; a crash between an SMTP accept and the state save can
// repeat one email, with the same Message-ID. The notifiers are email (SMTP with
// wneessen/go-mail) and outbox (.eml files in <data_dir>/outbox when no SMTP is
// configured); both pass alerting/notifiertest.
//
// # Emails
//
// Vietnamese first with English alongside, plain text and HTML alternatives. Crawled
// text goes through html/template (escaped), post links are kept only when http(s), and
// there are no images. Evidence terms (analysis.evidence) and query words are highlighted
// (store.Highlights). Emails show the query string; links open the same search in the
// web UI (q=<query string>) and in Kibana Discover (the query translated to KQL over the
// stores' derived fields, testdata/kql.yaml; the data view id is the index prefix).
package alerting
