package prodlab;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Produces one record per producer mode (plain, idempotent) and send mode
 * (sync, async) through the lab's Toxiproxy, then consumes them back.
 *
 * <p>Usage: Matrix BOOTSTRAP TOPIC PREFIX. Each record's value is the seed's
 * JSON, {"eventId": "PREFIX-mode-sendMode", ...}, with no header. Prints one
 * line per record, "SENT eventId partition offset", then "READ eventId
 * partition offset" for each one read back, and "CLIENT version". Exits 1
 * if a send fails or a record is not read back exactly once.
 */
public final class Matrix {
    public static void main(String[] args) throws Exception {
        if (args.length != 3) {
            System.err.println("usage: Matrix BOOTSTRAP TOPIC PREFIX");
            System.exit(2);
        }
        String bootstrap = args[0], topic = args[1], prefix = args[2];
        System.out.println("CLIENT " + clientVersion());

        Map<String, RecordMetadata> sent = new HashMap<>();
        for (String mode : new String[] {"plain", "idempotent"}) {
            try (KafkaProducer<String, String> p = new KafkaProducer<>(producerProps(bootstrap, mode))) {
                String sync = prefix + "-" + mode + "-sync";
                sent.put(sync, p.send(record(topic, sync, mode, "sync")).get(30, TimeUnit.SECONDS));

                String async = prefix + "-" + mode + "-async";
                CompletableFuture<RecordMetadata> done = new CompletableFuture<>();
                p.send(record(topic, async, mode, "async"), (md, err) -> {
                    if (err != null) {
                        done.completeExceptionally(err);
                    } else {
                        done.complete(md);
                    }
                });
                sent.put(async, done.get(30, TimeUnit.SECONDS));
            }
        }
        for (Map.Entry<String, RecordMetadata> e : sent.entrySet()) {
            System.out.println("SENT " + e.getKey() + " " + e.getValue().partition() + " " + e.getValue().offset());
        }

        Map<String, Integer> read = new HashMap<>();
        try (KafkaConsumer<String, String> c = new KafkaConsumer<>(consumerProps(bootstrap))) {
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(30))) {
                tps.add(new TopicPartition(topic, pi.partition()));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            Map<TopicPartition, Long> ends = c.endOffsets(tps, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!reached(c, ends) && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    String id = eventId(r.value());
                    if (sent.containsKey(id)) {
                        read.merge(id, 1, Integer::sum);
                        System.out.println("READ " + id + " " + r.partition() + " " + r.offset());
                    }
                }
            }
        }
        int bad = 0;
        for (String id : sent.keySet()) {
            if (read.getOrDefault(id, 0) != 1) {
                System.err.println(id + " read back " + read.getOrDefault(id, 0) + " times, want 1");
                bad++;
            }
        }
        System.exit(bad == 0 ? 0 : 1);
    }

    static Properties producerProps(String bootstrap, String mode) {
        Properties p = new Properties();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.CLIENT_ID_CONFIG, "prodlab-matrix-" + mode);
        p.put(ProducerConfig.LINGER_MS_CONFIG, "0");
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, "30000");
        if (mode.equals("idempotent")) {
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
            p.put(ProducerConfig.ACKS_CONFIG, "all");
        } else {
            p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "false");
            p.put(ProducerConfig.ACKS_CONFIG, "1");
            p.put(ProducerConfig.RETRIES_CONFIG, "10");
        }
        return p;
    }

    static Properties consumerProps(String bootstrap) {
        Properties p = new Properties();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        return p;
    }

    static ProducerRecord<String, String> record(String topic, String eventId, String mode, String sendMode) {
        String value = "{\"eventId\":\"" + eventId + "\",\"mode\":\"" + mode + "\",\"sendMode\":\"" + sendMode
                + "\",\"api\":\"java-matrix\",\"ts\":" + System.currentTimeMillis() + "}";
        return new ProducerRecord<>(topic, eventId, value);
    }

    static boolean reached(KafkaConsumer<String, String> c, Map<TopicPartition, Long> ends) {
        for (Map.Entry<TopicPartition, Long> e : ends.entrySet()) {
            if (c.position(e.getKey()) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /** The kafka-clients version, from the properties file its jar carries. */
    static String clientVersion() throws java.io.IOException {
        Properties p = new Properties();
        try (java.io.InputStream in = KafkaProducer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            if (in != null) {
                p.load(in);
            }
        }
        return p.getProperty("version", "unknown");
    }

    /** The eventId field of the seed's JSON value; the ids here need no escaping. */
    static String eventId(String value) {
        String k = "\"eventId\":\"";
        int i = value == null ? -1 : value.indexOf(k);
        if (i < 0) {
            return "";
        }
        int j = value.indexOf('"', i + k.length());
        return j < 0 ? "" : value.substring(i + k.length(), j);
    }
}
