import type { GroupContext } from '../model/context';
import type { ContextSchema } from '../model/schema';
import { USERS } from '../model/vocabulary';
import { devicesText, groupText } from '../report/stateJson';

/**
 * A state as short lines: the group fields, one cell per device (as `dmaown check` prints them),
 * and where each VFIO user is (`file1:claimed`).
 */
export function stateLines(schema: ContextSchema, c: GroupContext): string[] {
  return [groupText(schema, c), devicesText(c), c.users.map((u, i) => `${USERS[i]}:${u.phase}`).join(' ')];
}
