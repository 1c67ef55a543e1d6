// Jest setup: the SDK's Node 20 notice is known harmless (see silenceSdkNodeNotice), so tests and the servers they start run without it.
import { silenceSdkNodeNotice } from '../../lambda/config';

silenceSdkNodeNotice();
