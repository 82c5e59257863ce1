import { PATH_METADATA } from '@nestjs/common/constants';
import { publicPathOf } from '@pager/server-kit';

/**
 * Mounts public (server-to-server) controllers under the path of DISCOVERY_PUBLIC_URL
 * (`/discovery` by default). Their `@Controller()` carries no path; this sets it when the
 * module is created, before Nest reads the routes.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export function mountPublicControllers(publicUrl: string, controllers: Function[]): void {
  const path = publicPathOf(publicUrl) || '/';
  for (const controller of controllers) Reflect.defineMetadata(PATH_METADATA, path, controller);
}
