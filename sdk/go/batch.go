package sluice

// The batch layer: the contract's arena batches to Records and back, the
// per-record loops of the three plugin kinds (usable natively in unit
// tests), and the entry points the generated bindings' glue calls
// (sdk/go/_glue, copied next to the bindings at build time).

import (
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
)

var stderr = os.Stderr

// Failure is a record a plugin could not process, by its index in the input.
type Failure struct {
	Input   int
	Message string
}

// failureMessage is what a failed record reports.
func failureMessage(err error) string {
	if m := err.Error(); m != "" {
		return m
	}
	return fmt.Sprintf("%T", err)
}

// yield lets the collector's goroutines run between records. Inside a
// component, Go runs one thread without preemption: a collection that
// starts during a call only marks while the call's goroutine yields, and
// without this the heap would grow for the whole call.
func yield() { runtime.Gosched() }

// protect runs f, turning a panic into an error with the panic's message.
func protect(f func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			switch r := r.(type) {
			case error:
				err = fmt.Errorf("%w", r)
			default:
				err = fmt.Errorf("%v", r)
			}
			if err.Error() == "" {
				err = fmt.Errorf("panic")
			}
		}
	}()
	return f()
}

// RunTransform runs p.Transform on each record: the outputs in input order,
// origins[i] the input index of outputs[i], and the failures.
func RunTransform(p Transform, records []Record) (outputs []Record, origins []int, failures []Failure) {
	failures = runTransform(p, records, func(i int, r Record) {
		outputs = append(outputs, r)
		origins = append(origins, i)
	})
	return outputs, origins, failures
}

// runTransform calls emit with each output record and its input's index.
func runTransform(p Transform, records []Record, emit func(int, Record)) (failures []Failure) {
	for i, record := range records {
		yield()
		var result []Record
		err := protect(func() error {
			var err error
			result, err = p.Transform(record)
			if err != nil {
				return err
			}
			for _, r := range result {
				if err := r.KeyKind.check(); err != nil {
					return err
				}
				if err := r.ValueKind.check(); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			failures = append(failures, Failure{i, failureMessage(err)})
			continue
		}
		for _, r := range result {
			emit(i, r)
		}
	}
	return failures
}

// Conversion is what a converter made of one record's part.
type Conversion struct {
	// Failed or null when Data is nil.
	Data   []byte
	Kind   Kind
	Failed bool
	// The failure's message when Failed.
	Message string
}

// RunConvert runs p.Convert on the key or value of each record.
func RunConvert(p Converter, records []Record, part Part) []Conversion {
	items := make([]Conversion, len(records))
	for i, record := range records {
		data := record.Value
		if part == PartKey {
			data = record.Key
		}
		if data == nil {
			continue // null stays null
		}
		yield()
		err := protect(func() error {
			out, kind, err := p.Convert(data, record, part)
			if err != nil {
				return err
			}
			if err := kind.check(); err != nil {
				return err
			}
			items[i] = Conversion{Data: out, Kind: kind}
			return nil
		})
		if err != nil {
			items[i] = Conversion{Failed: true, Message: failureMessage(err)}
		}
	}
	return items
}

// Encoding is what a formatter made of one record.
type Encoding struct {
	Data    []byte
	Failed  bool
	Message string
}

// RunEncode runs p.Encode on each record.
func RunEncode(p Formatter, records []Record) []Encoding {
	items := make([]Encoding, len(records))
	for i, record := range records {
		yield()
		err := protect(func() error {
			out, err := p.Encode(record)
			items[i].Data = out
			return err
		})
		if err != nil {
			items[i] = Encoding{Failed: true, Message: failureMessage(err)}
		}
	}
	return items
}

// Start configures p with entries and p's declared defaults.
func Start(p Plugin, entries [][2]string) error {
	return protect(func() error {
		return p.Configure(NewConfig(entries, p.Metadata().Config))
	})
}

// ---- The arena layout, as the bindings glue passes it -------------------

// Span is a byte range of a batch's data.
type Span struct{ Start, Len uint32 }

// RawHeader is one header of an arena batch.
type RawHeader struct {
	Name     Span
	Value    Span
	HasValue bool
}

// RawRecord is one record of an arena batch.
type RawRecord struct {
	Topic        Span
	Partition    int32
	Offset       int64
	Timestamp    int64
	HasTimestamp bool
	Key          Span
	HasKey       bool
	KeyKind      Kind
	Value        Span
	HasValue     bool
	ValueKind    Kind
	FirstHeader  uint32
	HeaderCount  uint32
}

// RawBatch is a batch in the contract's arena layout.
type RawBatch struct {
	Data    []byte
	Records []RawRecord
	Headers []RawHeader
}

func slice(data []byte, s Span) []byte {
	end := uint64(s.Start) + uint64(s.Len)
	if end > uint64(len(data)) {
		panic(fmt.Sprintf("span %d+%d is outside the batch's %d bytes", s.Start, s.Len, len(data)))
	}
	if s.Len == 0 {
		return []byte{}
	}
	return data[s.Start:end:end]
}

// Decode is the Records of an arena batch; their slices point into b.Data.
func Decode(b RawBatch) []Record {
	out := make([]Record, len(b.Records))
	var lastTopic Span
	topic := ""
	for i, r := range b.Records {
		if i == 0 || r.Topic != lastTopic {
			topic, lastTopic = string(slice(b.Data, r.Topic)), r.Topic
		}
		rec := Record{
			Topic:     topic,
			Partition: r.Partition,
			Offset:    r.Offset,
			KeyKind:   r.KeyKind,
			ValueKind: r.ValueKind,
		}
		if r.HasTimestamp {
			ts := r.Timestamp
			rec.Timestamp = &ts
		}
		if r.HasKey {
			rec.Key = slice(b.Data, r.Key)
		}
		if r.HasValue {
			rec.Value = slice(b.Data, r.Value)
		}
		if r.HeaderCount > 0 {
			end := uint64(r.FirstHeader) + uint64(r.HeaderCount)
			if end > uint64(len(b.Headers)) {
				panic(fmt.Sprintf("record %d: headers %d+%d are outside the batch's %d", i, r.FirstHeader, r.HeaderCount, len(b.Headers)))
			}
			hs := make([]Header, r.HeaderCount)
			for j, h := range b.Headers[r.FirstHeader:end] {
				hs[j].Name = string(slice(b.Data, h.Name))
				if h.HasValue {
					hs[j].Value = slice(b.Data, h.Value)
				}
			}
			rec.Headers = hs
		}
		out[i] = rec
	}
	return out
}

// Arena is an output data buffer that hands out spans.
type Arena struct{ Data []byte }

// Put appends b and returns its span.
func (a *Arena) Put(b []byte) Span {
	s := Span{uint32(len(a.Data)), uint32(len(b))}
	a.Data = append(a.Data, b...)
	return s
}

func (a *Arena) putString(s string) Span {
	sp := Span{uint32(len(a.Data)), uint32(len(s))}
	a.Data = append(a.Data, s...)
	return sp
}

// Encode is records in arena layout.
func Encode(records []Record) RawBatch {
	var e encoder
	for _, r := range records {
		e.add(r)
	}
	return e.batch()
}

// encoder builds an arena batch one record at a time.
type encoder struct {
	a         Arena
	out       RawBatch
	lastTopic string
	topicSpan Span
}

func (e *encoder) add(r Record) {
	a := &e.a
	if len(e.out.Records) == 0 || r.Topic != e.lastTopic {
		e.lastTopic, e.topicSpan = r.Topic, a.putString(r.Topic)
	}
	raw := RawRecord{
		Topic:       e.topicSpan,
		Partition:   r.Partition,
		Offset:      r.Offset,
		KeyKind:     r.KeyKind,
		ValueKind:   r.ValueKind,
		FirstHeader: uint32(len(e.out.Headers)),
		HeaderCount: uint32(len(r.Headers)),
	}
	if r.Timestamp != nil {
		raw.Timestamp, raw.HasTimestamp = *r.Timestamp, true
	}
	if r.Key != nil {
		raw.Key, raw.HasKey = a.Put(r.Key), true
	}
	if r.Value != nil {
		raw.Value, raw.HasValue = a.Put(r.Value), true
	}
	for _, h := range r.Headers {
		rh := RawHeader{Name: a.putString(h.Name)}
		if h.Value != nil {
			rh.Value, rh.HasValue = a.Put(h.Value), true
		}
		e.out.Headers = append(e.out.Headers, rh)
	}
	e.out.Records = append(e.out.Records, raw)
}

func (e *encoder) batch() RawBatch {
	out := e.out
	out.Data = e.a.Data
	if out.Data == nil {
		out.Data = []byte{}
	}
	if out.Records == nil {
		out.Records = []RawRecord{}
	}
	return out
}

// ---- Registration and the entry points of the bindings glue -------------

var (
	registered Plugin
	configured bool
	kind       string
)

func register(k string, p Plugin) {
	if registered != nil {
		panic(fmt.Sprintf("sluice: a %s is already exported; export one plugin per component", kind))
	}
	registered, kind = p, k
}

// ExportTransform makes p the component's transform. Call it once, from an
// init function of the plugin's main package.
func ExportTransform(p Transform) { register("transform", p) }

// ExportConverter makes p the component's converter (once, from init).
func ExportConverter(p Converter) { register("converter", p) }

// ExportFormatter makes p the component's formatter (once, from init).
func ExportFormatter(p Formatter) { register("formatter", p) }

// The host lowers a call's arguments into the instance through
// `cabi_realloc`, where a component may not call imports. Go's allocator
// reads the clock (a WASI import) when it starts a collection or scavenges
// the heap it grows (seen: mheap.allocSpan -> nanotime -> clock_time_get
// under cabi_realloc, "cannot leave component instance", with batches of
// 20 KiB): the instance traps. So collection is off (and the memory limit,
// which would start it, unset) whenever the host may call `cabi_realloc`,
// and on only while plugin code runs inside an export call: CallStart
// turns it on, CallEnd collects once and turns it off again before the
// results are lowered.
func init() {
	debug.SetGCPercent(-1)
}

// CallStart begins an export call (bindings glue only): collection on,
// with a soft memory limit (callMemoryLimit) that makes it work harder
// before the heap outgrows the host's usual limit.
func CallStart() {
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(callMemoryLimit)
}

// callMemoryLimit is Go's soft memory limit while plugin code runs: half the
// host's default instance memory (128 MiB). Not a cap: past it the
// collector just runs more often.
const callMemoryLimit = 64 << 20

// CallEnd ends an export call (bindings glue only): collection off (the
// memory limit too: it would start collections), after one full collection
// so the next call's arguments find free heap.
func CallEnd() {
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(-1)
	runtime.GC()
}

// SetLogSink routes Log into the contract's log import (bindings glue only).
func SetLogSink(sink func(level Level, message string)) { logSink = sink }

// Registered is the exported plugin and its kind (bindings glue only).
func Registered() (Plugin, string) { return registered, kind }

func mustRegistered(want string) Plugin {
	if registered == nil {
		panic(fmt.Sprintf("sluice: no %s exported: call sluice.Export%s in an init function of package main", want, exportName(want)))
	}
	if kind != want {
		panic(fmt.Sprintf("sluice: the component is built as a %s but exports a %s", want, kind))
	}
	return registered
}

func exportName(k string) string {
	switch k {
	case "transform":
		return "Transform"
	case "converter":
		return "Converter"
	}
	return "Formatter"
}

// HandleMetadata answers the contract's `metadata` (bindings glue only).
func HandleMetadata(want string) (md Metadata) {
	err := protect(func() error { md = mustRegistered(want).Metadata(); return nil })
	if err != nil {
		md = Metadata{Name: "unnamed", Version: "0.0.0", Description: "broken plugin: " + err.Error()}
	}
	return md
}

// HandleConfigure answers the contract's `configure` (bindings glue only).
func HandleConfigure(want string, entries [][2]string) error {
	var p Plugin
	if err := protect(func() error { p = mustRegistered(want); return nil }); err != nil {
		return err
	}
	if err := Start(p, entries); err != nil {
		return fmt.Errorf("%s", failureMessage(err))
	}
	configured = true
	return nil
}

func ready(want string) (Plugin, error) {
	var p Plugin
	err := protect(func() error {
		p = mustRegistered(want)
		if !configured {
			return fmt.Errorf("the host called the plugin before `configure`")
		}
		return nil
	})
	return p, err
}

func failAll(n int, err error) []Failure {
	m := failureMessage(err)
	fs := make([]Failure, n)
	for i := range fs {
		fs[i] = Failure{i, m}
	}
	return fs
}

// HandleTransform answers the contract's `transform` (bindings glue only).
func HandleTransform(in RawBatch) (out RawBatch, origins []uint32, failures []Failure) {
	err := protect(func() error {
		p, err := ready("transform")
		if err != nil {
			return err
		}
		// Each output goes into the arena as it comes: the records a plugin
		// returns are garbage at once, and the arena is sized like the input.
		e := encoder{a: Arena{Data: make([]byte, 0, len(in.Data))}}
		e.out.Records = make([]RawRecord, 0, len(in.Records))
		e.out.Headers = make([]RawHeader, 0, len(in.Headers))
		origins = make([]uint32, 0, len(in.Records))
		failures = runTransform(p.(Transform), Decode(in), func(i int, r Record) {
			e.add(r)
			origins = append(origins, uint32(i))
		})
		out = e.batch()
		return nil
	})
	if err != nil {
		return RawBatch{Data: []byte{}}, []uint32{}, failAll(len(in.Records), err)
	}
	return out, origins, failures
}

// ConvertItem is one entry of the contract's `conversions.items`.
type ConvertItem struct {
	Span   Span
	Kind   Kind
	Null   bool
	Failed bool
}

// HandleConvert answers the contract's `convert` (bindings glue only).
func HandleConvert(part Part, in RawBatch) (data []byte, items []ConvertItem, failures []Failure) {
	err := protect(func() error {
		p, err := ready("converter")
		if err != nil {
			return err
		}
		a := Arena{Data: make([]byte, 0, len(in.Data))}
		results := RunConvert(p.(Converter), Decode(in), part)
		items = make([]ConvertItem, len(results))
		for i, c := range results {
			switch {
			case c.Failed:
				items[i].Failed = true
				failures = append(failures, Failure{i, c.Message})
			case c.Data == nil:
				items[i].Null = true
			default:
				items[i].Span, items[i].Kind = a.Put(c.Data), c.Kind
			}
		}
		data = a.Data
		return nil
	})
	if err != nil {
		return allFailed(len(in.Records), func(it *ConvertItem) { it.Failed = true }, err)
	}
	return nonNil(data), items, failures
}

// allFailed is the reply of a call that failed as a whole: each of its n
// records failed with err.
func allFailed[T any](n int, fail func(*T), err error) ([]byte, []T, []Failure) {
	items := make([]T, n)
	for i := range items {
		fail(&items[i])
	}
	return []byte{}, items, failAll(n, err)
}

// nonNil is data, or an empty slice for nil (the bindings need a list).
func nonNil(data []byte) []byte {
	if data == nil {
		return []byte{}
	}
	return data
}

// EncodeItem is one entry of the contract's `encoded.items`.
type EncodeItem struct {
	Span   Span
	Failed bool
}

// HandleEncode answers the contract's `encode` (bindings glue only).
func HandleEncode(in RawBatch) (data []byte, items []EncodeItem, failures []Failure) {
	err := protect(func() error {
		p, err := ready("formatter")
		if err != nil {
			return err
		}
		a := Arena{Data: make([]byte, 0, len(in.Data))}
		results := RunEncode(p.(Formatter), Decode(in))
		items = make([]EncodeItem, len(results))
		for i, e := range results {
			if e.Failed {
				items[i].Failed = true
				failures = append(failures, Failure{i, e.Message})
			} else {
				items[i].Span = a.Put(e.Data)
			}
		}
		data = a.Data
		return nil
	})
	if err != nil {
		return allFailed(len(in.Records), func(it *EncodeItem) { it.Failed = true }, err)
	}
	return nonNil(data), items, failures
}

// FormatInfo is the contract's `format-info`.
type FormatInfo struct {
	ContentType, Extension    string
	Prefix, Separator, Suffix []byte
}

// HandleInfo answers the contract's `info` (bindings glue only).
func HandleInfo() (info FormatInfo) {
	err := protect(func() error {
		f := mustRegistered("formatter").(Formatter)
		info = FormatInfo{f.ContentType(), f.Extension(), f.Prefix(), f.Separator(), f.Suffix()}
		return nil
	})
	if err != nil {
		Log.Errorf("info() failed: %s", failureMessage(err))
		info = FormatInfo{ContentType: "application/octet-stream", Extension: ".bin"}
	}
	return info
}

// HandleHeader answers the contract's `header` (bindings glue only).
func HandleHeader() []byte { return bodyPart("header", Formatter.Header) }

// HandleTrailer answers the contract's `trailer` (bindings glue only).
func HandleTrailer() []byte { return bodyPart("trailer", Formatter.Trailer) }

func bodyPart(name string, f func(Formatter) []byte) (out []byte) {
	err := protect(func() error {
		p, err := ready("formatter")
		if err != nil {
			return err
		}
		out = f(p.(Formatter))
		return nil
	})
	if err != nil {
		Log.Errorf("%s() failed, writing none: %s", name, failureMessage(err))
		return []byte{}
	}
	if out == nil {
		out = []byte{}
	}
	return out
}
