/**
 * The read APIs' answers, as far as the dashboard reads them: the OpenAPI contract's own
 * response types (src/http/contract), imported as types only. esbuild erases type-only
 * imports, so none of the server's modules reach the browser bundle.
 */

import type { AlertsAnswer } from '../../../src/http/contract/alerts';
import type { Comparison } from '../../../src/http/contract/compare';
import type { EstimateAnswer } from '../../../src/http/contract/estimate';
import type { DirectoryListing } from '../../../src/http/contract/files';
import type { ImageContentView, ImageDetail, PlatformDetail } from '../../../src/http/contract/image';
import type { RepositoriesAnswer } from '../../../src/http/contract/repositories';
import type { StorageAnswer } from '../../../src/http/contract/storage';
import type { TrendAnswer } from '../../../src/http/contract/trend';

export type { AlertsAnswer, EstimateAnswer, StorageAnswer };

export type AlertRecord = AlertsAnswer['alerts'][number];

export type TrendPage = TrendAnswer;
export type TrendPointView = TrendAnswer['points'][number];

export type RepositoriesPage = RepositoriesAnswer;
export type RepositoryEntry = RepositoriesAnswer['repositories'][number];

export type ImageAnswer = ImageDetail;
/** A platform whose manifest and config are stored (the others carry no layers). */
export type ImagePlatform = PlatformDetail;
export type ImageContent = ImageContentView;
export type ImageLayer = PlatformDetail['layers'][number];

export type FilesAnswer = DirectoryListing;

export type CompareAnswer = Comparison;
export type CompareLayer = Comparison['layers']['added'][number];
export type StepDelta = Comparison['steps'][number];
export type FileChange = Extract<Comparison['files'], { status: 'done' }>['added'][number];

type Pull = EstimateAnswer['pull'];
/** One target's pull estimate; App Service adds `restartSeconds`, AKS `warmNodeSeconds`. */
export type TargetEstimate = Pull['aci'] & Partial<Pull['appService'] & Pull['aks']>;
