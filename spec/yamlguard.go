package spec

import (
	"fmt"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/lexer"
	"github.com/goccy/go-yaml/parser"
	"github.com/goccy/go-yaml/token"
)

// Bounds on a spec's YAML, checked on its tokens before parsing. Within
// MaxSpecBytes the YAML library's time still grows with the square of a
// mapping's size (a 1 MiB env: would take about 30 s), of the nesting
// depth (100,000 nested brackets took a minute) and of an erroneous
// line's length, and it expands aliases without limit (a few hundred bytes
// of nested anchors, "billion laughs", never finish). No spec a person
// writes comes near these; with them any spec fails or parses in about a
// second.
const (
	maxYAMLTokens    = 20_000
	maxYAMLFlowDepth = 64      // [ and { nested
	maxYAMLColumn    = 256     // a block level needs a column at least
	maxYAMLNodes     = 100_000 // nodes once aliases are expanded
)

// checkYAMLShape refuses YAML nested or expanding past the bounds above.
// Syntax errors are left to the decoder, which reports them better.
func checkYAMLShape(data []byte) error {
	tokens := lexer.Tokenize(string(data))
	if len(tokens) > maxYAMLTokens {
		return fmt.Errorf("more than %d YAML tokens (%w): a spec holds settings; ship data with files: or the environment", maxYAMLTokens, ErrLimit)
	}
	depth, line := 0, 0
	for _, tk := range tokens {
		switch tk.Type {
		case token.SequenceStartType, token.MappingStartType:
			if depth++; depth > maxYAMLFlowDepth {
				return fmt.Errorf("line %d: [ and { are nested more than %d deep (%w)", tk.Position.Line, maxYAMLFlowDepth, ErrLimit)
			}
		case token.SequenceEndType, token.MappingEndType:
			depth = max(depth-1, 0)
		}
		// Block nesting: the first token of a line, or a "- " or "? "
		// indicator, starts at a column one level needs at least.
		starts := tk.Position.Line != line || tk.Type == token.SequenceEntryType || tk.Type == token.MappingKeyType
		if depth == 0 && starts && tk.Position.Column > maxYAMLColumn {
			return fmt.Errorf("line %d: nested past column %d (%w)", tk.Position.Line, maxYAMLColumn, ErrLimit)
		}
		line = tk.Position.Line
	}
	f, err := parser.Parse(tokens, 0)
	if err != nil {
		return nil
	}
	if n := expandedNodes(f); n > maxYAMLNodes {
		return fmt.Errorf("its aliases (*name) expand to more than %d YAML nodes (%w)", maxYAMLNodes, ErrLimit)
	}
	return nil
}

// expandedNodes counts the nodes of f as if each alias were replaced by
// its anchor's value, without expanding anything: each anchor's size is
// counted once and added at each alias. The count stops past maxYAMLNodes.
func expandedNodes(f *ast.File) int {
	sizes := map[string]int{} // anchor name → nodes its value stands for
	add := func(a, b int) int { return min(a+b, maxYAMLNodes+1) }
	var count func(ast.Node) int
	count = func(root ast.Node) int {
		total := 0
		ast.Walk(visitFunc(func(n ast.Node) bool {
			total = add(total, 1)
			switch n := n.(type) {
			case *ast.AnchorNode:
				s := count(n.Value)
				sizes[n.Name.GetToken().Value] = s
				total = add(total, s)
				return false
			case *ast.AliasNode:
				total = add(total, sizes[n.Value.GetToken().Value])
				return false
			}
			return true
		}), root)
		return total
	}
	total := 0
	for _, doc := range f.Docs {
		if doc != nil && doc.Body != nil {
			total = add(total, count(doc.Body))
		}
	}
	return total
}

// visitFunc walks into a node's children while it returns true.
type visitFunc func(ast.Node) bool

func (f visitFunc) Visit(n ast.Node) ast.Visitor {
	if n == nil || !f(n) {
		return nil
	}
	return f
}
