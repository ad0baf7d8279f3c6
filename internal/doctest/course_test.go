package doctest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The course's shape, as issue 21 asks for it: a README a newcomer can
// follow, a guide shaped like the seed with no test scaffolding, and links
// that lead somewhere.

// Limits on the course's length, in lines.
const (
	maxReadme      = 200
	maxReadmeFirst = 60 // the README's first screen
	maxGuide       = 1450
)

// seedSteps are the seed's Étape titles in order, adapted only where the lab
// differs (franz-go for the Java API, librdkafka for .NET, the console for
// Kafka UI, services for containers).
var seedSteps = []string{
	"Étape 1 - Positionnement",
	"Étape 2 - Démarrage des services",
	"Étape 3 - Vérification des services",
	"Étape 4 - Test de santé des APIs",
	"Étape 5 - Envoi d'un message synchrone (API franz-go)",
	"Étape 6 - Envoi avec l'API librdkafka",
	"Étape 7 - Visualisation dans la console",
	"Étape 8 - Envoi asynchrone (API franz-go)",
	"Étape 9 - Consultation du statut",
	"Étape 10 - Vérification du proxy Toxiproxy",
	"Étape 11 - Injection de latence",
	"Étape 12 - Test avec latence",
	"Étape 13 - Suppression de la latence",
	"Étape 14 - Exécution du test automatisé",
	"Étape 15 - Envoi sur des partitions différentes",
	"Étape 16 - Vérification des partitions",
	"Étape 17 - Création d'un topic compacté",
	"Étape 18 - Envoi de plusieurs versions",
}

// seedLabs and seedExercises are the seed's Lab and exercise titles.
var (
	seedLabs = []string{
		"Lab 02.0 - Démarrage du module",
		"Lab 02.1 - Envoi synchrone (baseline)",
		"Lab 02.2 - Envoi asynchrone et callbacks",
		"Lab 02.3 - Injection de pannes avec Toxiproxy",
		"Lab 02.4 - Idempotence vs Plain (test clé)",
		"Lab 02.5 - Partitionnement",
		"Lab 02.6 - Log compaction",
	}
	seedExercises = []string{
		"Exercice 1 - Modifiez les timeouts",
		"Exercice 2 - Injectez un timeout complet",
		"Exercice 3 - Testez avec différentes clés",
	}
)

// headings returns the guide's headings outside fenced blocks, without #s.
func headings(t *testing.T, md string) []string {
	t.Helper()
	fences, err := Fences(md)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range fences {
		for _, line := range strings.Split(f.Prose, "\n") {
			if strings.HasPrefix(line, "#") {
				out = append(out, strings.TrimSpace(strings.TrimLeft(line, "#")))
			}
		}
	}
	return out
}

func readRepo(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot(), rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestGuideShape(t *testing.T) {
	md := readRepo(t, GuidePath)
	if n := strings.Count(md, "\n"); n > maxGuide {
		t.Errorf("%s has %d lines, at most %d", GuidePath, n, maxGuide)
	}
	hs := headings(t, md+"\n```\n```\n") // a last fence so the tail's prose is read
	// The seed's Labs, Étapes and exercises, in order; lettered sub-steps
	// (12a) may sit between them, nothing renumbers them.
	var want []string
	want = append(want, seedLabs[0], seedSteps[0], seedSteps[1], seedSteps[2], seedSteps[3])
	want = append(want, seedLabs[1], seedSteps[4], seedSteps[5], seedSteps[6])
	want = append(want, seedLabs[2], seedSteps[7], seedSteps[8])
	want = append(want, seedLabs[3], seedSteps[9], seedSteps[10], seedSteps[11], seedSteps[12])
	want = append(want, seedLabs[4], seedSteps[13])
	want = append(want, seedLabs[5], seedSteps[14], seedSteps[15])
	want = append(want, seedLabs[6], seedSteps[16], seedSteps[17])
	want = append(want, "Récapitulatif des checkpoints", "Exercices supplémentaires")
	want = append(want, seedExercises...)
	i := 0
	for _, h := range hs {
		if i < len(want) && strings.HasSuffix(h, want[i]) {
			i++
		}
	}
	if i < len(want) {
		t.Errorf("heading %q missing or out of order (the seed's order: Labs, Étapes, recap, exercises)", want[i])
	}
	step := regexp.MustCompile(`^Étape (\d+)([a-z]?) - `)
	exercise := regexp.MustCompile(`^Exercice \d`)
	steps, exercises := 0, 0
	for _, h := range hs {
		if m := step.FindStringSubmatch(h); m != nil && m[2] == "" {
			steps++
		}
		if exercise.MatchString(h) {
			exercises++
		}
	}
	if steps != len(seedSteps) || exercises != len(seedExercises) {
		t.Errorf("%d numbered Étapes and %d exercises, want the seed's %d and %d (an added step takes a letter: 12a)", steps, exercises, len(seedSteps), len(seedExercises))
	}
	// One recap table: the seed's columns, once.
	if n := strings.Count(md, "| # | Checkpoint | Statut |"); n != 1 {
		t.Errorf("the recap table (| # | Checkpoint | Statut |) appears %d times, want 1", n)
	}
	// No test scaffolding in the trainee's text.
	for _, bad := range []string{"test de la doc", "non exécuté", "Non exécuté", "console.png", "--screenshot", "'console: HTTP", "make doc-test"} {
		if strings.Contains(md, bad) {
			t.Errorf("the guide shows test scaffolding: %q", bad)
		}
	}
}

// TestGuideCommandsPortable checks the guide's commands for GNU-only options
// and for files written into the trainee's clone.
func TestGuideCommandsPortable(t *testing.T) {
	blocks, err := Blocks(readRepo(t, GuidePath))
	if err != nil {
		t.Fatal(err)
	}
	gnuOnly := map[string]*regexp.Regexp{
		"date +%N (GNU date)":      regexp.MustCompile(`date \+[^ ]*%N`),
		`sed '\t' (GNU sed)`:       regexp.MustCompile(`sed [^|]*\\t`),
		"ss (Linux iproute2 only)": regexp.MustCompile(`(^|[;&|]\s*)ss\s`),
		"xdg-open (Linux only)":    regexp.MustCompile(`xdg-open`),
		"grep -P (GNU grep)":       regexp.MustCompile(`grep -[a-zA-Z]*P`),
	}
	// A redirection or tee into a relative path writes into the clone.
	intoClone := regexp.MustCompile(`(?:^|[^->])(>>?|\btee)\s*"?([A-Za-z0-9_.][^\s"$]*)`)
	for _, b := range blocks {
		for why, re := range gnuOnly {
			if re.MatchString(b.Body) {
				t.Errorf("line %d: %s", b.Line, why)
			}
		}
		for _, m := range intoClone.FindAllStringSubmatch(b.Body, -1) {
			if m[2] != "/dev/null" && !strings.HasPrefix(m[2], "&") {
				t.Errorf("line %d: writes %q into the clone; use ${TMPDIR:-/tmp} or $HOME", b.Line, m[2])
			}
		}
	}
}

func TestReadme(t *testing.T) {
	md := readRepo(t, "README.md")
	lines := strings.Split(md, "\n")
	if len(lines)-1 > maxReadme {
		t.Errorf("README.md has %d lines, at most %d", len(lines)-1, maxReadme)
	}
	first := strings.Join(lines[:min(maxReadmeFirst, len(lines))], "\n")
	for _, want := range []string{
		"Formation : commencez ici", "](docs/lab/module-02-producer-reliability.md)",
		"go1.26.8", "apt-get install -y gcc", "xcode-select --install", "brew install go", "wsl --install",
		"git clone ", "go run ./cmd/prodlab up\n", "http://localhost:8080", "Ctrl-C", "prodlab down",
	} {
		if !strings.Contains(first, want) {
			t.Errorf("README's first %d lines lack %q", maxReadmeFirst, want)
		}
	}
	if !strings.Contains(md, "make test\n") {
		t.Error("README does not give `make test` as the test command")
	}
}

// TestLinks checks every relative link of README.md and docs/**.md: the file
// it names exists.
func TestLinks(t *testing.T) {
	root := repoRoot()
	files := []string{filepath.Join(root, "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".md") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	link := regexp.MustCompile(`\]\(([^)\s]+)\)`)
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fences, err := Fences(string(b) + "\n```\n```\n")
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, fe := range fences {
			for _, m := range link.FindAllStringSubmatch(fe.Prose, -1) {
				target := m[1]
				if strings.Contains(target, "://") || strings.HasPrefix(target, "#") || strings.HasPrefix(target, "mailto:") {
					continue
				}
				target, _, _ = strings.Cut(target, "#")
				if _, err := os.Stat(filepath.Join(filepath.Dir(f), target)); err != nil {
					rel, _ := filepath.Rel(root, f)
					t.Errorf("%s: link %q leads nowhere", rel, m[1])
				}
			}
		}
	}
}
