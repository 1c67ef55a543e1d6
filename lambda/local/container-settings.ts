// What the data plane's container and its load balancer agree on (lib/data-plane.ts reads these too).
import { GLACIER_MAX_BODY_BYTES } from '../config';

/** The port the container serves on, behind the load balancer. */
export const CONTAINER_PORT = 8080;

/** The load balancer's health check: answered by the process itself, before any Glacier routing or store. */
export const HEALTH_CHECK_PATH = '/ping';

/** Glacier's own limit on an UploadArchive or UploadMultipartPart body. */
export const CONTAINER_MAX_BODY_BYTES = GLACIER_MAX_BODY_BYTES;

/**
 * How long the load balancer keeps a connection on which no byte moves either way. A transfer
 * that keeps moving is never cut by it, however slow; it covers a client that pauses, and the
 * server's work after the last byte of a 4 GiB upload (completing the S3 multipart upload,
 * committing the archive), which sends nothing until the answer.
 */
export const LOAD_BALANCER_IDLE_TIMEOUT_SECONDS = 300;

export const CONTAINER_TIMEOUTS = {
  /** Longer than the load balancer's idle timeout, so that the load balancer, not the server, closes idle connections (else it may send on a closed one: 502). */
  keepAliveMs: (LOAD_BALANCER_IDLE_TIMEOUT_SECONDS + 5) * 1000,
  /** A request's headers must arrive within this. */
  headersMs: 60_000,
  /**
   * A connection on which no byte moves for this long is closed: longer than the load balancer's
   * own idle timeout. A body that keeps moving may take as long as it needs (4 GiB at the slowest
   * client's speed of 1 MB/s: 4,295 s, about 72 minutes).
   */
  idleMs: (LOAD_BALANCER_IDLE_TIMEOUT_SECONDS + 10) * 1000,
} as const;

/**
 * How long a task being replaced or scaled in keeps serving the requests it has (the load
 * balancer's deregistration delay, at most 3,600 s): an upload in flight is not cut short,
 * up to an hour's worth of it (3.6 GB at the slowest client's speed).
 */
export const DRAIN_SECONDS = 3600;
