// The accounts tests act as. ACCOUNT is the one the local server and test servers run as by default.
import { LOCAL_DEFAULTS } from '../../lambda/config';

export const ACCOUNT: string = LOCAL_DEFAULTS.accountId;
/** Another account: for isolation and cross-account checks. */
export const OTHER_ACCOUNT = '210987654321';
