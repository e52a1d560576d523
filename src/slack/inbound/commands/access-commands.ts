import type { SubcommandHandler } from './subcommand';

/** `/ir whoami`: the role and where it comes from. */
export const whoami: SubcommandHandler<'whoami'> = async ({ who, respond, services }) => {
  await respond({ response_type: 'ephemeral', text: await services.access.whoami(who) });
};
