package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"os"
)

// genImportCmd writes N ndjson lines, each creating a source, for
// "oversight import". IDs derive from the prefix, so files with different
// prefixes never collide and the same prefix gives the same file.
func genImportCmd(args []string) error {
	fs := flag.NewFlagSet("genimport", flag.ContinueOnError)
	n := fs.Int("n", 100000, "how many lines")
	out := fs.String("out", "", "file to write")
	prefix := fs.String("prefix", "bench", "makes IDs, titles and URLs unique")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<16)
	enc := json.NewEncoder(w)
	kinds := []string{"NEWS", "NGO_REPORT", "ACADEMIC", "GOVERNMENT_DOCUMENT"}
	for i := range *n {
		h := sha256.Sum256(fmt.Appendf(nil, "%s-%d", *prefix, i))
		h[6] = h[6]&0x0f | 0x40
		h[8] = h[8]&0x3f | 0x80
		id := fmt.Sprintf("%x-%x-%x-%x-%x", h[0:4], h[4:6], h[6:8], h[8:10], h[10:16])
		if err := enc.Encode(map[string]any{
			"type": "SOURCE",
			"id":   id,
			"fields": map[string]any{
				"title":       fmt.Sprintf("Benchmark source %s %d", *prefix, i),
				"kind":        kinds[i%len(kinds)],
				"publisher":   "Benchmark Publisher",
				"url":         fmt.Sprintf("https://example.org/%s/%d", *prefix, i),
				"publishedOn": fmt.Sprintf("20%02d", 10+i%15),
				"language":    "en",
			},
		}); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
