import { z } from 'zod';
import { ALERT_STATES, AlertRecordSchema } from '../../core/alert';
import { oneOf } from '../../core/validation';
import { limitParam, registryParam, repositoryParam, timeParam } from '../params';
import type { Operation } from './operation';
import { component, described } from './registry';

export const AlertsQuery = z.object({
  registry: registryParam,
  repository: described(repositoryParam.optional(), "Only this repository's alerts."),
  since: described(timeParam.optional(), 'Alerts created at or after this ISO 8601 time.'),
  state: described(oneOf(ALERT_STATES).optional(), 'Only alerts in this state.'),
  limit: limitParam(100, 1000),
});

export const AlertRecordComponent = component(
  'AlertRecord',
  AlertRecordSchema,
  'An alert of the history: what fired (`rules`, `findings` with figures and thresholds), its delivery `state` and attempts, and which `route` it goes to (never the URL: it carries a signature).',
);

export const AlertsAnswerSchema = component(
  'Alerts',
  z.object({ registry: z.string(), alerts: z.array(AlertRecordComponent) }),
  "A registry's alert history, newest first.",
);
export type AlertsAnswer = z.infer<typeof AlertsAnswerSchema>;

export const alertsOperation: Operation = {
  functionName: 'alerts',
  operationId: 'listAlerts',
  method: 'GET',
  route: 'alerts',
  access: 'read',
  tag: 'Alerts',
  summary: 'Alert history, newest first',
  query: AlertsQuery,
  answers: { 200: { description: 'At most `limit` alerts.', body: AlertsAnswerSchema } },
};
