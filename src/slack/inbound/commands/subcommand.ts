import type { IrCommand } from '../../../domain/commands/ir-command';
import type { SlackRequest } from '../middleware';

/** An `/ir` subcommand's name. */
export type IrSub = IrCommand['sub'];

/** Each subcommand's parsed form, by name. */
export type IrCommandOf = { [S in IrSub]: Extract<IrCommand, { sub: S }> };

/** What one subcommand's handler gets: the parsed command and the request. */
export type SubcommandRequest<S extends IrSub> = SlackRequest & { cmd: IrCommandOf[S] };

/** Answers one subcommand, after the ack (errors go to the one Bolt error handler). */
export type SubcommandHandler<S extends IrSub> = (req: SubcommandRequest<S>) => Promise<void>;
