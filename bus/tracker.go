package bus

import "slices"

// offsetTracker knows, per partition, which fetched offsets are done and yields the commit
// point: the highest offset such that it and every offset fetched before it in that
// partition are done. Committing only that point is what makes the consumer at-least-once:
// a message that is not done is never skipped by a commit of a later one, even when a
// Processor finishes messages out of order (only the failed ones are retried).
//
// Offsets are compared in fetch order, not by "offset+1", because real partitions have gaps
// (compaction, transaction markers). Not safe for concurrent use: the consumer loop owns it.
type offsetTracker struct {
	parts map[int]*partitionOffsets
}

type partitionOffsets struct {
	pending     []int64        // fetched, not yet in the done prefix, in fetch order
	done        map[int64]bool // members of pending that are done
	committable int64          // end of the done prefix; -1 when none
	committed   int64          // last offset committed through this tracker; -1 when none
}

func newOffsetTracker() *offsetTracker {
	return &offsetTracker{parts: make(map[int]*partitionOffsets)}
}

func (t *offsetTracker) part(p int) *partitionOffsets {
	po, ok := t.parts[p]
	if !ok {
		po = &partitionOffsets{done: make(map[int64]bool), committable: -1, committed: -1}
		t.parts[p] = po
	}
	return po
}

// fetched records that offset was handed out for partition. An offset at or below one
// already seen means the group rewound the partition (rebalance, or a reset to the
// committed offset): the old state is dropped, since those messages are coming again.
func (t *offsetTracker) fetched(partition int, offset int64) {
	po := t.part(partition)
	last := po.committable
	if n := len(po.pending); n > 0 {
		last = po.pending[n-1]
	}
	if offset <= last {
		*po = partitionOffsets{done: make(map[int64]bool), committable: -1, committed: -1}
	}
	po.pending = append(po.pending, offset)
}

// markDone records that the message at offset is finished (processed or dead-lettered) and
// advances the done prefix. Unknown offsets are ignored.
func (t *offsetTracker) markDone(partition int, offset int64) {
	po, ok := t.parts[partition]
	if !ok {
		return
	}
	if _, found := slices.BinarySearch(po.pending, offset); found {
		po.done[offset] = true
	}
	for len(po.pending) > 0 && po.done[po.pending[0]] {
		po.committable = po.pending[0]
		delete(po.done, po.pending[0])
		po.pending = po.pending[1:]
	}
}

// commitPoints returns, for each partition whose done prefix moved past the last commit,
// the offset of the last done message (kafka-go commits offset+1 for it).
func (t *offsetTracker) commitPoints() map[int]int64 {
	out := make(map[int]int64)
	for p, po := range t.parts {
		if po.committable > po.committed {
			out[p] = po.committable
		}
	}
	return out
}

// markCommitted records a successful commit of offset in partition.
func (t *offsetTracker) markCommitted(partition int, offset int64) {
	if po, ok := t.parts[partition]; ok && offset > po.committed {
		po.committed = offset
	}
}

// outstanding counts fetched messages that are not done yet.
func (t *offsetTracker) outstanding() int {
	n := 0
	for _, po := range t.parts {
		n += len(po.pending)
	}
	return n
}
