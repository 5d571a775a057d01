// The change log's records belong to hardfs/store; re-exported for existing importers.
export { ALL_CHANGED, changeRecordFor, openStoreChangeLog, announceAllChanged } from '../store/change-records.js';
