package kafkalocal

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// repoFile reads a file of the repository, seen from this package.
func repoFile(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// goModRequire returns the version go.mod requires of module mod.
func goModRequire(t *testing.T, mod string) string {
	t.Helper()
	for _, line := range strings.Split(repoFile(t, "go.mod"), "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && f[0] == mod {
			return f[1]
		}
	}
	t.Fatalf("go.mod does not require %s", mod)
	return ""
}

// TestPinnedVersions checks that the copies of a pinned version outside its
// single source (docs/versions.md lists them) agree with that source.
func TestPinnedVersions(t *testing.T) {
	t.Run("tools pom", func(t *testing.T) {
		var pom struct {
			Kafka string `xml:"properties>kafka.version"`
		}
		if err := xml.Unmarshal([]byte(repoFile(t, "tests/java/tools/pom.xml")), &pom); err != nil {
			t.Fatal(err)
		}
		if pom.Kafka != Version {
			t.Errorf("tests/java/tools/pom.xml kafka.version %q, want kafkalocal.Version %q", pom.Kafka, Version)
		}
	})
	t.Run("compose images", func(t *testing.T) {
		toxi := strings.TrimPrefix(goModRequire(t, "github.com/Shopify/toxiproxy/v2"), "v")
		for _, files := range [][]string{
			{"docker-compose.single-node.yml", "docker-compose.module.yml"},
			{"docker-compose.cluster.yml", "docker-compose.module.yml"},
		} {
			p := loadCompose(t, nil, files...)
			for name, s := range p.Services {
				repo, tag, ok := strings.Cut(s.Image, ":")
				if !ok || tag == "" || tag == "latest" {
					t.Errorf("%v: service %s image %q has no pinned tag", files, name, s.Image)
					continue
				}
				switch repo {
				case "apache/kafka":
					if tag != Version {
						t.Errorf("%v: service %s image %q, want apache/kafka:%s (kafkalocal.Version)", files, name, s.Image, Version)
					}
				case "ghcr.io/shopify/toxiproxy":
					if tag != toxi {
						t.Errorf("%v: service %s image %q, want Toxiproxy %s as in go.mod", files, name, s.Image, toxi)
					}
				}
			}
		}
	})
	t.Run("Go tutorial", func(t *testing.T) {
		gets := regexp.MustCompile(`go get (\S+)@(\S+)`).FindAllStringSubmatch(repoFile(t, "docs/lab/TUTORIAL-GO.md"), -1)
		if len(gets) == 0 {
			t.Fatal("docs/lab/TUTORIAL-GO.md has no go get line")
		}
		for _, g := range gets {
			if want := goModRequire(t, g[1]); g[2] != want {
				t.Errorf("docs/lab/TUTORIAL-GO.md: go get %s@%s, go.mod requires %s", g[1], g[2], want)
			}
		}
	})
	t.Run("Dockerfile go", func(t *testing.T) {
		goLine := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(repoFile(t, "go.mod"))
		if goLine == nil {
			t.Fatal("go.mod has no go line")
		}
		want := "FROM golang:" + goLine[1] + "-"
		if !strings.Contains(repoFile(t, "Dockerfile"), want) {
			t.Errorf("Dockerfile does not build with %q (go.mod says go %s)", want, goLine[1])
		}
	})
}
