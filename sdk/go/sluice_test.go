package sluice

import (
	"errors"
	"strings"
	"testing"
)

type upper struct{ suffix string }

func (p *upper) Metadata() Metadata {
	return Metadata{Name: "upper", Version: "0.1.0", Config: []ConfigKey{
		Key("suffix", TypeString, "appended").WithDefault("!"),
	}}
}

func (p *upper) Configure(c Config) error { p.suffix = c.String("suffix"); return nil }

func (p *upper) Transform(r Record) ([]Record, error) {
	switch {
	case r.HasHeader("drop"):
		return Drop()
	case r.HasHeader("split"):
		return Keep(r, r)
	case r.HasHeader("panic"):
		var m map[string]int
		m["x"] = 1 // assignment to a nil map
	case r.HasHeader("fail"):
		return nil, errors.New("failed on purpose")
	}
	text, err := r.ValueText()
	if err != nil {
		return nil, err
	}
	return Keep(r.WithText(strings.ToUpper(text) + p.suffix))
}

func TestRoundTripAndTransform(t *testing.T) {
	ts := int64(7)
	in := []Record{
		{Topic: "t", Offset: 0, Value: []byte("a"), Timestamp: &ts, Key: []byte{}},
		{Topic: "t", Offset: 1, Value: []byte("b"), Headers: []Header{{"drop", nil}}},
		{Topic: "u", Offset: 2, Value: []byte("c"), Headers: []Header{{"split", []byte("1")}}},
		{Topic: "u", Offset: 3, Value: []byte("d"), Headers: []Header{{"panic", nil}}},
		{Topic: "u", Offset: 4, Value: nil},
		{Topic: "u", Offset: 5, Headers: []Header{{"fail", nil}}},
	}
	decoded := Decode(Encode(in))
	if decoded[0].Key == nil || len(decoded[0].Key) != 0 || *decoded[0].Timestamp != 7 || decoded[1].Timestamp != nil {
		t.Fatalf("key/timestamp lost: %+v", decoded[0])
	}
	if decoded[4].Value != nil || decoded[1].Headers[0].Value != nil || string(decoded[2].Headers[0].Value) != "1" {
		t.Fatalf("nulls lost: %+v %+v", decoded[4], decoded[1])
	}
	p := &upper{}
	if err := Start(p, [][2]string{}); err != nil || p.suffix != "!" {
		t.Fatalf("configure: %v %q", err, p.suffix)
	}
	out, origins, fails := RunTransform(p, decoded)
	if len(out) != 3 || origins[0] != 0 || origins[1] != 2 || origins[2] != 2 || string(out[1].Value) != "c" || out[1].Key != nil {
		t.Fatalf("outputs %+v origins %v", out, origins)
	}
	if len(fails) != 3 || fails[0].Input != 3 || !strings.Contains(fails[0].Message, "nil map") ||
		fails[1].Message != "offset 4: value is null" || fails[2].Message != "failed on purpose" {
		t.Fatalf("failures %+v", fails)
	}
}

func TestHandleBeforeConfigureFailsAll(t *testing.T) {
	registered, configured, kind = nil, false, ""
	ExportTransform(&upper{})
	defer func() { registered, configured, kind = nil, false, "" }()
	_, _, fails := HandleTransform(Encode([]Record{{Topic: "t"}, {Topic: "t"}}))
	if len(fails) != 2 || !strings.Contains(fails[1].Message, "before `configure`") {
		t.Fatalf("%+v", fails)
	}
	if err := HandleConfigure("transform", [][2]string{{"suffix", "?"}}); err != nil {
		t.Fatal(err)
	}
	out, origins, fails := HandleTransform(Encode([]Record{{Topic: "t", Value: []byte("x")}}))
	if len(fails) != 0 || len(origins) != 1 || string(Decode(out)[0].Value) != "X?" {
		t.Fatalf("%+v %v %+v", Decode(out), origins, fails)
	}
	if md := HandleMetadata("converter"); !strings.Contains(md.Description, "exports a transform") {
		t.Fatalf("%+v", md)
	}
}

func TestConfig(t *testing.T) {
	keys := []ConfigKey{Key("n", TypeInteger, "").WithDefault("3"), Key("l", TypeList, "")}
	c := NewConfig([][2]string{{"l", " a, ,b ,"}, {"b", "TRUE"}, {"f", "x"}}, keys)
	if n, err := c.Int("n"); err != nil || n != 3 {
		t.Fatal(n, err)
	}
	if l := c.List("l"); len(l) != 2 || l[0] != "a" || l[1] != "b" {
		t.Fatal(l)
	}
	if b, err := c.Bool("b"); err != nil || !b {
		t.Fatal(b, err)
	}
	if _, err := c.Float("f"); err == nil || err.Error() != `f: "x" is not a number` {
		t.Fatal(err)
	}
	if _, err := c.Require("zz"); err == nil {
		t.Fatal("missing key accepted")
	}
	if c.List("zz") != nil || c.Has("zz") {
		t.Fatal("missing key has a value")
	}
}

func TestJSON(t *testing.T) {
	r := Record{Offset: 9, Value: []byte(`{"big":12345678901234567890,"s":"<&>"}`)}
	obj, err := r.ValueJSONObject()
	if err != nil {
		t.Fatal(err)
	}
	out, err := r.WithJSON(obj)
	if err != nil || string(out.Value) != `{"big":12345678901234567890,"s":"<&>"}` || out.ValueKind != JSON {
		t.Fatalf("%s %v", out.Value, err)
	}
	for _, bad := range []string{`[1]`, `{"a":1} x`, "\xff"} {
		_, err := Record{Offset: 9, Value: []byte(bad)}.ValueJSONObject()
		if err == nil || !strings.HasPrefix(err.Error(), "offset 9: ") {
			t.Fatalf("%q: %v", bad, err)
		}
	}
}
