package cmd

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// Only the command line knows flags: no package but cmd (and clierr,
// which defines them) builds a usage error, so that renaming a flag is an
// edit in cmd alone (issue 15, item 1).
func TestUsageErrorsOnlyInCmd(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch rel {
			case ".git", "internal/cmd", "internal/clierr", "integration":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		file, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "clierr" && (sel.Sel.Name == "Usage" || sel.Sel.Name == "UsageError") {
					t.Errorf("%s: clierr.%s outside cmd: return the package's own error and let cmd name the flag", rel, sel.Sel.Name)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// flagName is a long flag as the command line spells it: --max-remove.
var flagName = regexp.MustCompile(`--[a-z][a-z-]+`)

// The rule TestUsageErrorsOnlyInCmd begins, stated precisely: no error a
// domain package makes names a flag (a message given to fmt.Errorf or
// errors.New, or any text in an Error method); cmd adds the flag names
// (inputerrors.go). A plan's reasons are data, not errors, and may quote
// the guard the user typed ("matches --keep 'postgres:*'", "use --all"):
// the flag is what the user reads to undo the keep. gendocs, a tool of its
// own, is left out.
func TestNoFlagNamesInDomainErrors(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(filepath.Join(root, "internal"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			switch rel {
			case "internal/cmd", "internal/clierr", "internal/gendocs":
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		fset := token.NewFileSet()
		file, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		check := func(n ast.Node, where string) {
			ast.Inspect(n, func(n ast.Node) bool {
				if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && flagName.MatchString(lit.Value) {
					t.Errorf("%s: %s names a flag (%s): return a typed error and let cmd name the flag", fset.Position(lit.Pos()), where, flagName.FindString(lit.Value))
				}
				return true
			})
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.FuncDecl:
				if n.Recv != nil && n.Name.Name == "Error" && n.Body != nil {
					check(n.Body, "an Error method")
				}
			case *ast.CallExpr:
				if sel, ok := n.Fun.(*ast.SelectorExpr); ok {
					if id, ok := sel.X.(*ast.Ident); ok && (id.Name == "fmt" && sel.Sel.Name == "Errorf" || id.Name == "errors" && sel.Sel.Name == "New") && len(n.Args) > 0 {
						check(n.Args[0], "an error message")
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
