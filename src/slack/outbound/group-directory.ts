import type { WebClient } from '@slack/web-api';
import type { GroupDirectory } from '../../services/access-service';

/** The {@link GroupDirectory} port on Slack: members of a user group (`usergroups.users.list`). */
export class SlackGroupDirectory implements GroupDirectory {
  constructor(private readonly client: WebClient) {}

  async members(groupId: string): Promise<string[]> {
    return (await this.client.usergroups.users.list({ usergroup: groupId })).users ?? [];
  }
}
