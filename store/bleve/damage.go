package bleve

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"time"

	"github.com/blevesearch/bleve/v2/util"
	segment "github.com/blevesearch/scorch_segment_api/v2"
	zapv15 "github.com/blevesearch/zapx/v15"
	zapv16 "github.com/blevesearch/zapx/v16"
	zapv17 "github.com/blevesearch/zapx/v17"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// OpenError is an index that cannot be opened. When a file of it is damaged, File names it
// and Cause says what is wrong with it; the message ends with what to do. Unwrap gives
// bleve's own error, whose text ("error parsing mapping JSON", followed by the whole
// mapping) names neither.
type OpenError struct {
	Dir   string
	File  string // "" when no damaged file was found
	Cause error  // what is wrong with File
	Err   error  // bleve's error
}

func (e *OpenError) Error() string {
	if e.File == "" {
		return fmt.Sprintf("bleve: open %s: %s", e.Dir, firstLine(e.Err))
	}
	return fmt.Sprintf("bleve: index %s is damaged: %s: %v; move the directory away and restart to start a new index (posts are indexed again as they are re-crawled or replayed)", e.Dir, e.File, e.Cause)
}

func (e *OpenError) Unwrap() error { return e.Err }

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// openIndex opens dir with bleve, checking first the two files bleve misreads silently
// (an empty root.bolt becomes a new empty database, and the index then fails with "error
// parsing mapping JSON"), turning a panic inside bleve (bbolt panics on some damaged
// root.bolt files) into an error, and a failure into an *OpenError that names the damaged
// file when one is found.
func openIndex(dir string, open func() error) (err error) {
	// bbolt maps root.bolt into memory; a page that lies past the end of a truncated file
	// is a memory fault, which kills the process unless it is turned into a panic here.
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	if file, cause := damagedMeta(dir); file != "" {
		return &OpenError{Dir: dir, File: file, Cause: cause, Err: cause}
	}
	defer func() {
		fault := false
		if r := recover(); r != nil {
			fault = isMemoryFault(r)
			err = fmt.Errorf("panic while opening: %v", r)
		}
		if err != nil {
			file, cause := damagedSegment(dir)
			if file == "" && fault {
				// The segments pass their checksums, so the mapped file read past its
				// end is the snapshot database: bleve opens it read-write and reads its
				// free-page list, which the read-only check does not.
				file, cause = filepath.Join(dir, "store", "root.bolt"), errPastEnd
			}
			err = &OpenError{Dir: dir, File: file, Cause: cause, Err: err}
		}
	}()
	return open()
}

// zapPlugins are the segment formats this bleve reads (it writes v17; older indexes may
// hold v15 and v16 segments).
var zapPlugins = map[uint32]interface {
	Open(path string) (segment.Segment, error)
}{zapv17.Version: &zapv17.ZapPlugin{}, zapv16.Version: &zapv16.ZapPlugin{}, zapv15.Version: &zapv15.ZapPlugin{}}

// damagedFile looks for the file of the index under dir that cannot be read: the metadata,
// the snapshot database, then every segment. It returns "" when every file reads.
func damagedFile(dir string) (string, error) {
	if file, cause := damagedMeta(dir); file != "" {
		return file, cause
	}
	return damagedSegment(dir)
}

// damagedMeta checks index_meta.json and store/root.bolt, read-only (a second or so).
func damagedMeta(dir string) (string, error) {
	meta := filepath.Join(dir, "index_meta.json")
	b, err := os.ReadFile(meta)
	if err != nil {
		return meta, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return meta, fmt.Errorf("not valid JSON (%d bytes): %w", len(b), err)
	}
	root := filepath.Join(dir, "store", "root.bolt")
	if _, err := os.Stat(root); errors.Is(err, os.ErrNotExist) {
		return "", nil // an upside_down index, or bleve will say what is missing
	}
	if err := checkBolt(root); err != nil {
		return root, err
	}
	return "", nil
}

// damagedSegment opens every segment file with the zap versions bleve reads.
func damagedSegment(dir string) (string, error) {
	segs, _ := filepath.Glob(filepath.Join(dir, "store", "*.zap"))
	sort.Strings(segs)
	for _, s := range segs {
		if err := checkSegment(s); err != nil {
			return s, err
		}
	}
	return "", nil
}

// errPastEnd is the cause given for a memory fault reading the snapshot database.
var errPastEnd = errors.New("it points past its own end (cut short or overwritten)")

// isMemoryFault reports whether a recovered value is a memory fault that
// debug.SetPanicOnFault turned into a panic (its runtime.Error has an Addr method).
func isMemoryFault(r any) bool {
	_, ok := r.(interface{ Addr() uintptr })
	return ok
}

// checkBolt opens the snapshot database read-only and reads every bucket and key, so a
// file cut short is found here and not by bleve's background goroutines later. Faults
// reading the mapped file become errors, not a crash.
func checkBolt(path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return errors.New("empty file")
	}
	defer func() {
		if r := recover(); r != nil {
			if isMemoryFault(r) {
				err = fmt.Errorf("unreadable snapshot database (%d bytes): %w", st.Size(), errPastEnd)
				return
			}
			err = fmt.Errorf("unreadable snapshot database (%d bytes): %v", st.Size(), r)
		}
	}()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: 2 * time.Second})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return fmt.Errorf("locked by another process (is langnghe already running on this data dir?): %w", err)
	}
	if err != nil {
		return fmt.Errorf("unreadable snapshot database (%d bytes): %w", st.Size(), err)
	}
	defer db.Close()
	return db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(util.BoltSnapshotsBucket) == nil {
			return fmt.Errorf("snapshot database (%d bytes) holds no index snapshot: emptied or rewritten", st.Size())
		}
		return tx.ForEach(func(_ []byte, b *bolt.Bucket) error { return walkBucket(b) })
	})
}

// walkBucket reads every key of b and of the buckets nested in it, in this goroutine
// (bbolt's Tx.Check runs in one of its own, where a fault could not be caught).
func walkBucket(b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v != nil {
			return nil
		}
		if sub := b.Bucket(k); sub != nil {
			return walkBucket(sub)
		}
		return nil
	})
}

// checkSegment checks a zap segment's footer: its format version (bleve reads 15-17) and
// the CRC-32 the writer stored over everything before it, then opens it with that version.
func checkSegment(path string) (err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if len(b) == 0 {
		return errors.New("empty segment file")
	}
	if len(b) < 12 {
		return fmt.Errorf("segment of %d bytes is shorter than its footer (truncated)", len(b))
	}
	crc := binary.BigEndian.Uint32(b[len(b)-4:])
	version := binary.BigEndian.Uint32(b[len(b)-8:])
	plugin, ok := zapPlugins[version]
	if !ok {
		return fmt.Errorf("segment (%d bytes) has unknown format version %d: truncated or overwritten", len(b), version)
	}
	if got := crc32.ChecksumIEEE(b[:len(b)-4]); got != crc {
		return fmt.Errorf("segment (%d bytes) fails its checksum (stored %08x, computed %08x): truncated or overwritten", len(b), crc, got)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("unreadable segment (%d bytes): %v", len(b), r)
		}
	}()
	seg, err := plugin.Open(path)
	if err != nil {
		return fmt.Errorf("unreadable segment (%d bytes): %w", len(b), err)
	}
	return seg.Close()
}
