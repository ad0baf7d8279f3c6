// Package doctest runs the lab guide's shell blocks and checks their output
// against the guide's "Résultat attendu" blocks by shape, and extracts the
// Go tutorial's full program.
//
// A guide steers the runner with HTML comments placed before a fenced block:
//
//	<!-- doctest: skip (docker) -->   the block is not run; the reason is reported
//	<!-- doctest: lab-start -->       the runner starts the lab itself here
//	<!-- doctest: lab-restart -->     the runner stops its lab and starts it again on
//	                                  the same data dir, with the block's VAR=value prefix
//	<!-- doctest: min-seconds=4.5 --> the block must take at least that long
//	<!-- doctest: timeout=90s -->     the block's time limit, default 2m
//	<!-- doctest: exact=partition --> these JSON fields are compared exactly
//
// A fenced block that follows a bash block, in prose containing "Résultat
// attendu", is that bash block's expected output, and so is a fenced block
// right after an expected one with only blank lines between.
//
// The directives are HTML comments, so a reader of the rendered guide sees
// none of them. Each section (a heading of level 1 or 2, or a heading that
// starts with "Exercice ") runs in a new shell: a Lab that needs a value
// from another Lab must get it back itself.
package doctest

import (
	"bufio"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ExpectMarker is the phrase that introduces an expected-output block.
const ExpectMarker = "Résultat attendu"

// Block is one fenced bash block of a guide with its directives and the
// expected outputs that follow it.
type Block struct {
	Line    int    // 1-based line of the opening fence
	Heading string // the closest heading above the block
	// Section is the heading that starts the block's shell (see SectionHeading).
	Section string
	Body    string
	// Skip is the reason the block is not run, empty if it runs.
	Skip string
	// LabStart marks the block that starts the lab.
	LabStart bool
	// LabRestart marks a block that restarts the lab with other settings.
	LabRestart bool
	// MinElapsed is the least wall-clock time the block must take.
	MinElapsed time.Duration
	// Timeout bounds the block's run, default DefaultTimeout.
	Timeout time.Duration
	// Exact lists JSON fields compared by value.
	Exact  []string
	Expect []Expect
}

// Expect is one expected-output block.
type Expect struct {
	Line int
	Lang string // "json" or text
	Body string
}

// DefaultTimeout bounds a block that sets no timeout.
const DefaultTimeout = 2 * time.Minute

// Fence is any fenced block, as Blocks and the tutorial test see it.
type Fence struct {
	Line      int
	Lang      string
	Body      string
	Directive string // the doctest/tutorial comment right before it, if any
	Prose     string // text between the previous fence and this one
	Heading   string
	Section   string // the closest SectionHeading above it
}

// SectionHeading reports whether a heading of this level (number of #) and
// text starts a section that the guide test runs in a new shell: a Lab, the
// exercises' part and each exercise.
func SectionHeading(level int, text string) bool {
	return level <= 2 || strings.HasPrefix(text, "Exercice ")
}

// Fences returns every fenced block of md in order.
func Fences(md string) ([]Fence, error) {
	var (
		out     []Fence
		cur     *Fence
		prose   strings.Builder
		dir     string
		heading string
		section string
		fence   string
	)
	sc := bufio.NewScanner(strings.NewReader(md))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var body strings.Builder
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if cur != nil {
			if strings.HasPrefix(trim, fence) && strings.Trim(trim, "`~") == "" && len(trim) >= len(fence) {
				cur.Body = body.String()
				out = append(out, *cur)
				cur = nil
				prose.Reset()
				dir = ""
				continue
			}
			body.WriteString(line)
			body.WriteByte('\n')
			continue
		}
		if strings.HasPrefix(trim, "```") || strings.HasPrefix(trim, "~~~") {
			f := trim[:3]
			for len(f) < len(trim) && trim[len(f)] == f[0] {
				f += f[:1]
			}
			fence = f
			lang := strings.Fields(strings.TrimPrefix(trim, fence) + " ")
			cur = &Fence{Line: n, Directive: dir, Prose: prose.String(), Heading: heading, Section: section}
			if len(lang) > 0 {
				cur.Lang = lang[0]
			}
			body.Reset()
			continue
		}
		if strings.HasPrefix(trim, "#") {
			heading = strings.TrimSpace(strings.TrimLeft(trim, "#"))
			if SectionHeading(len(trim)-len(strings.TrimLeft(trim, "#")), heading) {
				section = heading
			}
		}
		if strings.HasPrefix(trim, "<!--") && strings.HasSuffix(trim, "-->") {
			inner := strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(trim, "<!--"), "-->"))
			if strings.HasPrefix(inner, "doctest:") || strings.HasPrefix(inner, "tutorial:") {
				if dir != "" {
					return nil, fmt.Errorf("line %d: two directives before one block", n)
				}
				dir = inner
				continue
			}
		}
		prose.WriteString(line)
		prose.WriteByte('\n')
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if cur != nil {
		return nil, fmt.Errorf("line %d: fence %s never closed", cur.Line, fence)
	}
	return out, nil
}

// Blocks returns the bash blocks of a guide with their directives and
// expected outputs. It fails on a malformed directive or an expected block
// with no bash block before it.
func Blocks(md string) ([]Block, error) {
	fences, err := Fences(md)
	if err != nil {
		return nil, err
	}
	var out []Block
	lastExpect := false // the previous fence was an expected output
	for _, f := range fences {
		// An expected block may follow another with only blank lines between.
		cont := lastExpect && strings.TrimSpace(f.Prose) == "" && f.Lang != "bash" && f.Lang != "mermaid"
		lastExpect = false
		switch {
		case f.Lang == "bash":
			b := Block{Line: f.Line, Heading: f.Heading, Section: f.Section, Body: f.Body, Timeout: DefaultTimeout}
			if err := b.apply(f.Directive); err != nil {
				return nil, fmt.Errorf("line %d: %w", f.Line, err)
			}
			out = append(out, b)
		case cont || strings.Contains(f.Prose, ExpectMarker):
			if f.Lang == "mermaid" {
				continue
			}
			lastExpect = true
			if len(out) == 0 {
				return nil, fmt.Errorf("line %d: expected output before any bash block", f.Line)
			}
			if f.Directive != "" {
				return nil, fmt.Errorf("line %d: directives go before the bash block, not its expected output", f.Line)
			}
			last := &out[len(out)-1]
			last.Expect = append(last.Expect, Expect{Line: f.Line, Lang: f.Lang, Body: f.Body})
		}
	}
	return out, nil
}

// apply parses a "doctest: ..." directive into b.
func (b *Block) apply(dir string) error {
	if dir == "" {
		return nil
	}
	rest, ok := strings.CutPrefix(dir, "doctest:")
	if !ok {
		return fmt.Errorf("directive %q before a bash block: want doctest:", dir)
	}
	rest = strings.TrimSpace(rest)
	if r, ok := strings.CutPrefix(rest, "skip"); ok {
		b.Skip = strings.Trim(strings.TrimSpace(r), "()")
		if b.Skip == "" {
			return fmt.Errorf("skip needs a reason: <!-- doctest: skip (docker) -->")
		}
		return nil
	}
	for _, tok := range strings.Fields(rest) {
		k, v, _ := strings.Cut(tok, "=")
		switch k {
		case "lab-start":
			b.LabStart = true
		case "lab-restart":
			b.LabRestart = true
		case "min-seconds":
			s, err := strconv.ParseFloat(v, 64)
			if err != nil || s <= 0 {
				return fmt.Errorf("min-seconds=%q: want a positive number", v)
			}
			b.MinElapsed = time.Duration(s * float64(time.Second))
		case "timeout":
			d, err := time.ParseDuration(v)
			if err != nil || d <= 0 {
				return fmt.Errorf("timeout=%q: want a positive duration such as 90s", v)
			}
			b.Timeout = d
		case "exact":
			b.Exact = strings.Split(v, ",")
		default:
			return fmt.Errorf("unknown directive %q (skip, lab-start, lab-restart, min-seconds, timeout, exact)", tok)
		}
	}
	return nil
}
