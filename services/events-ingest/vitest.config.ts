import { serviceConfig } from '../kit/vitest.service.ts';

export default serviceConfig;
