package spec

import "testing"

// FuzzParse: a spec file is user input; no input may panic or hang the parser.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"", "workers: [{instances: 2}]", "name: x\nworkers: [{resources: {memory: 2GiB, vcores: 2}}]",
		"scheduler: {files: {a: {source: hdfs:///x, type: archive}}}\nworkers: [{}]",
		"workers: [{dask_resources: {GPU: 1}, resources: {gpus: 1, other: {a/b: 2}}}]", "lifetime: 1h\nworkers: [{}]",
		"workers: [{resources: {memory: '1.5G'}}]", "{", "workers: *a",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse(b, "fuzz.yaml")
		if err != nil {
			return
		}
		out, err := s.JSON()
		if err != nil {
			t.Fatalf("a parsed spec must serialize: %v", err)
		}
		if _, err := FromJSON(out); err != nil {
			t.Fatalf("the AM must read back what submit writes: %v\n%s", err, out)
		}
	})
}
