#!/bin/sh
# Builds the Java tutorial's Spring Boot API (docs/lab/TUTORIAL-JAVA.md:
# each fenced block right after a <!-- tutorial: file PATH --> marker is
# the file PATH) with Maven on kafka-clients VERSION into DIR, and prints
# the --peer command that 'prodlab bench --procs' runs it with (the bench
# sets SERVER_PORT and KAFKA_BOOTSTRAP_SERVERS, which the API reads).
#   scripts/bench-java-tutorial.sh 3.6.1 /tmp/java-3.6.1
set -eu
version=$1 dir=$2
md=$(dirname "$0")/../docs/lab/TUTORIAL-JAVA.md
mkdir -p "$dir"
awk -v dir="$dir" '
	/^<!-- tutorial: file .* -->$/ { f = dir "/" $4; want = 1; next }
	want && /^```/ { if (inside) { close(f); want = inside = 0; next } inside = 1; n = split(f, parts, "/"); d = substr(f, 1, length(f) - length(parts[n]) - 1); system("mkdir -p \"" d "\""); printf "" > f; next }
	inside { print >> f }' "$md"
main=$(grep -l '@SpringBootApplication' $(find "$dir/src/main/java" -name '*.java') | head -n 1)
[ -s "$dir/pom.xml" ] && [ -n "$main" ] || { echo "no tutorial files in $md" >&2; exit 1; }
class=$(sed -n 's/^package \(.*\);/\1/p' "$main").$(basename "$main" .java)
(cd "$dir" && mvn -q -B -Dkafka.version="$version" -Dmdep.outputFile=target/classpath.txt \
	-Dmdep.includeScope=runtime compile dependency:build-classpath >&2)
echo "java-$version=java -cp $dir/target/classes:$(cat "$dir/target/classpath.txt") $class"
