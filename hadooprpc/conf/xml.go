package conf

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxSiteFileSize bounds how much of one site file is read. Real site files
// are a few tens of kilobytes; anything this large is not a configuration.
const maxSiteFileSize = 16 << 20

// property is one <property> element as Hadoop's Configuration parser sees it.
// hasValue is false when the element had no value or an empty <value/>:
// Hadoop skips such properties (they do not override earlier values), but a
// final flag on them still takes effect.
type property struct {
	name     string
	value    string
	hasValue bool
	final    bool
}

// errInclude marks a file that uses XInclude, which we do not resolve.
var errInclude = errors.New("uses <xi:include>, which Spindle does not support; copy the included properties into the file itself")

// parseXML reads a Hadoop configuration document. It follows the element
// handling of Hadoop 3's Configuration.Parser: elements are matched by local
// name at any depth, <name> is trimmed but <value> is not, <final> is final
// only when its text is exactly "true", and the attribute form
// <property name="" value="" final=""/> is accepted too. Unknown elements
// such as <description> are ignored.
func parseXML(r io.Reader) ([]property, error) {
	lr := &io.LimitedReader{R: r, N: maxSiteFileSize + 1}
	dec := xml.NewDecoder(lr)
	dec.Strict = true
	// Site files are nearly always UTF-8; accept a declared ISO-8859-1 or
	// US-ASCII too rather than fail on the declaration alone.
	dec.CharsetReader = charsetReader

	var (
		props   []property
		cur     *property
		token   strings.Builder
		inToken bool
		sawRoot bool
	)
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			if lr.N <= 0 {
				return nil, fmt.Errorf("file is larger than %d bytes", maxSiteFileSize)
			}
			return nil, fmt.Errorf("malformed XML: %w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			sawRoot = true
			switch t.Name.Local {
			case "property":
				cur = &property{}
				for _, a := range t.Attr {
					switch a.Name.Local {
					case "name":
						cur.name = strings.TrimSpace(a.Value)
					case "value":
						cur.value, cur.hasValue = a.Value, true
					case "final":
						cur.final = a.Value == "true"
					}
				}
			case "name", "value", "final", "source", "tag":
				inToken = true
				token.Reset()
			case "include":
				return nil, errInclude
			}
		case xml.CharData:
			if inToken {
				token.Write(t)
			}
		case xml.EndElement:
			inToken = false
			if cur == nil {
				continue
			}
			switch t.Name.Local {
			case "name":
				if token.Len() > 0 {
					cur.name = strings.TrimSpace(token.String())
				}
			case "value":
				if token.Len() > 0 {
					cur.value, cur.hasValue = token.String(), true
				}
			case "final":
				cur.final = token.String() == "true"
			case "property":
				if cur.name != "" {
					props = append(props, *cur)
				}
				cur = nil
			}
		}
	}
	if !sawRoot {
		return nil, errors.New("no XML elements found (expected <configuration>)")
	}
	return props, nil
}

func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	switch strings.ToLower(charset) {
	case "utf-8", "utf8", "us-ascii", "ascii":
		return input, nil
	case "iso-8859-1", "latin1", "latin-1":
		return &latin1Reader{r: input}, nil
	}
	return nil, fmt.Errorf("unsupported XML encoding %q (save the file as UTF-8)", charset)
}

// latin1Reader converts ISO-8859-1 bytes to UTF-8.
type latin1Reader struct {
	r       io.Reader
	pending []byte
}

func (l *latin1Reader) Read(p []byte) (int, error) {
	if len(l.pending) == 0 {
		buf := make([]byte, (len(p)+1)/2)
		n, err := l.r.Read(buf)
		for _, b := range buf[:n] {
			if b < 0x80 {
				l.pending = append(l.pending, b)
			} else {
				l.pending = append(l.pending, 0xC0|b>>6, 0x80|b&0x3F)
			}
		}
		if n == 0 {
			return 0, err
		}
	}
	n := copy(p, l.pending)
	l.pending = l.pending[n:]
	return n, nil
}
