#!/bin/sh
# Builds the Java tutorial's API (docs/lab/TUTORIAL-JAVA.md: the blocks
# marked <!-- tutorial: pom --> and <!-- tutorial: full-program -->) with
# Maven on kafka-clients VERSION into DIR, and prints the --peer command
# that 'prodlab bench --procs' runs it with.
#   scripts/bench-java-tutorial.sh 3.6.1 /tmp/java-3.6.1
set -eu
version=$1 dir=$2
md=$(dirname "$0")/../docs/lab/TUTORIAL-JAVA.md
block() { # the fenced block right after the marker line $1
	awk -v m="<!-- tutorial: $1 -->" '
		$0 == m { want = 1; next }
		want && /^```/ { if (inside) exit; inside = 1; next }
		inside { print }' "$md"
}
mkdir -p "$dir/src/main/java"
block pom >"$dir/pom.xml"
block full-program >"$dir/src/main/java/ProducerApi.java"
[ -s "$dir/pom.xml" ] && [ -s "$dir/src/main/java/ProducerApi.java" ] || { echo "no tutorial blocks in $md" >&2; exit 1; }
(cd "$dir" && mvn -q -B -Dkafka.version="$version" compile dependency:build-classpath >&2)
echo "java-$version=java -cp $dir/target/classes:$(cat "$dir/target/classpath.txt") ProducerApi"
