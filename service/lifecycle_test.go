package service

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

var updateReadme = flag.Bool("update", false, "rewrite the state diagrams in README.md from the machines")

// TestMachines_Tables checks every machine's table: moves between its
// states, made by known sides, each move once, every state reachable from
// the row's creation, and a history row for every move.
func TestMachines_Tables(t *testing.T) {
	names := map[string]bool{}
	for _, m := range Machines() {
		if names[m.Name] || m.Table == "" || m.model == nil || m.event == nil || len(m.States) == 0 {
			t.Errorf("machine %q: name taken or table, model, history or states missing", m.Name)
		}
		names[m.Name] = true
		seen := map[[2]string]bool{}
		reach := map[string]bool{"": true}
		for _, mv := range m.Moves {
			if (mv.From != "" && !slices.Contains(m.States, mv.From)) || !slices.Contains(m.States, mv.To) {
				t.Errorf("%s: move %q → %q leaves the states", m.Name, mv.From, mv.To)
			}
			if seen[[2]string{mv.From, mv.To}] {
				t.Errorf("%s: move %q → %q listed twice", m.Name, mv.From, mv.To)
			}
			seen[[2]string{mv.From, mv.To}] = true
			if len(mv.By) == 0 {
				t.Errorf("%s: nobody may move %q → %q", m.Name, mv.From, mv.To)
			}
			for _, by := range mv.By {
				if by != SideResident && by != SideStaff && by != SideSystem {
					t.Errorf("%s: unknown side %q", m.Name, by)
				}
			}
			if mv.From == "" && m.event(Step{To: mv.To}, time.Time{}) == nil {
				t.Errorf("%s: no history row", m.Name)
			}
		}
		for changed := true; changed; {
			changed = false
			for _, mv := range m.Moves {
				if reach[mv.From] && !reach[mv.To] {
					reach[mv.To], changed = true, true
				}
			}
		}
		for _, s := range m.States {
			if !reach[s] {
				t.Errorf("%s: state %q cannot be reached", m.Name, s)
			}
		}
	}
}

// diagram is the README's mermaid state diagram of m, from its table.
func diagram(m *Machine) string {
	var b strings.Builder
	fmt.Fprintf(&b, "<!-- machine:%s (generated from service.Machines: go test ./service -run TestMachines_README -update) -->\n", m.Table)
	b.WriteString("```mermaid\nstateDiagram-v2\n")
	for _, mv := range m.Moves {
		from := mv.From
		if from == "" {
			from = "[*]"
		}
		fmt.Fprintf(&b, "    %s --> %s: %s\n", from, mv.To, strings.Join(mv.By, ", "))
	}
	b.WriteString("```\n")
	fmt.Fprintf(&b, "<!-- /machine:%s -->\n", m.Table)
	return b.String()
}

// TestMachines_README: the README's state diagrams are the machines'
// tables (-update rewrites them).
func TestMachines_README(t *testing.T) {
	raw, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	for _, m := range Machines() {
		want := diagram(m)
		start := strings.Index(readme, "<!-- machine:"+m.Table+" ")
		end := strings.Index(readme, "<!-- /machine:"+m.Table+" -->\n")
		if start < 0 || end < start {
			t.Errorf("README.md has no diagram of %s; add:\n%s", m.Table, want)
			continue
		}
		end += len("<!-- /machine:" + m.Table + " -->\n")
		if got := readme[start:end]; got != want {
			if *updateReadme {
				readme = readme[:start] + want + readme[end:]
				continue
			}
			t.Errorf("README.md diagram of %s differs from the machine; want:\n%s", m.Table, want)
		}
	}
	if *updateReadme {
		if err := os.WriteFile("../README.md", []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
