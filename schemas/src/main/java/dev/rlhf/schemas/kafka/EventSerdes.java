package dev.rlhf.schemas.kafka;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/** The one serializer/deserializer pair every producer and consumer of our events uses. */
public final class EventSerdes {
    private EventSerdes() {
    }

    public static <T extends SpecificRecord> Serde<T> serde(Class<T> type) {
        return Serdes.serdeFrom(new AvroEventSerializer<>(), new AvroEventDeserializer<>(type));
    }
}
