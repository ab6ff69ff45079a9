package dev.shadowcat.manage;

/** {@code dev.shadowcat:type=Streams,context=…}: the SSE streams of all sessions. */
public interface StreamsMXBean {
    int getOpen();

    long getReplayedEvents();

    long getDroppedSlowReaders();

    long getEventsNotKept();

    long getResumesRefused();

    long getBufferedBytes();
}
